package dev.livemigration.libvirt;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * QEMU's migration connections to a node, watched and broken fast enough to hit QEMU's post-copy
 * recovery handshake: {@link #established} reads {@code /proc/net/tcp} (well under a millisecond,
 * no process started), and {@link #arm} starts {@code ss -K} ahead of time, held back by a shell
 * that waits for one line on its standard input, so that {@link Armed#fire()} costs one {@code
 * exec} rather than a process start from the JVM. That still takes tens of milliseconds on a busy
 * machine, longer than QEMU's recovery handshake: {@link #stop} holds a QEMU process meanwhile
 * ({@code SIGSTOP}, sent from here through JNA in microseconds) and {@link #resume} lets it go.
 */
final class MigrationLinks {
  private static final Path PROC_NET_TCP = Path.of("/proc/net/tcp");

  /** {@code 127.0.0.1} as {@code /proc/net/tcp} writes it (little-endian hex). */
  private static final String LOOPBACK = "0100007F";

  /** {@code TCP_ESTABLISHED} in {@code /proc/net/tcp}. */
  private static final String ESTABLISHED = "01";

  private static final int SIGCONT = 18;
  private static final int SIGSTOP = 19;

  private MigrationLinks() {}

  /** libc's {@code kill(2)}. */
  interface Signals extends Library {
    int kill(int pid, int signal);
  }

  private static final class Libc {
    static final Signals SIGNALS = Native.load("c", Signals.class);
  }

  /** Stops a process ({@code SIGSTOP}): it runs no more until {@link #resume}. */
  static void stop(long pid) {
    signal(pid, SIGSTOP);
  }

  /** Lets a process that {@link #stop} stopped run again ({@code SIGCONT}). */
  static void resume(long pid) {
    signal(pid, SIGCONT);
  }

  private static void signal(long pid, int signal) {
    if (Libc.SIGNALS.kill((int) pid, signal) != 0) {
      throw new IllegalStateException(
          "kill(" + pid + ", " + signal + ") failed: errno " + Native.getLastError());
    }
  }

  /**
   * Returns the process id of the QEMU that receives the migration of guest {@code name} (its
   * command line names the guest and has {@code -incoming}), if one runs.
   */
  static Optional<Long> incomingQemu(String name) {
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      return entries
          .filter(p -> p.getFileName().toString().matches("\\d+"))
          .filter(
              p -> {
                List<String> args = commandLine(p);
                return args.contains("-incoming")
                    && args.stream().anyMatch(a -> a.startsWith("guest=" + name + ","));
              })
          .map(p -> Long.parseLong(p.getFileName().toString()))
          .findFirst();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> commandLine(Path process) {
    try {
      String raw =
          new String(Files.readAllBytes(process.resolve("cmdline")), StandardCharsets.UTF_8);
      return List.of(raw.split("\0"));
    } catch (IOException e) {
      return List.of(); // gone meanwhile
    }
  }

  /**
   * Returns the established connections to 127.0.0.1 whose destination port is in {@code ports}
   * (the connecting side: the source's QEMU), as {@code local -> remote} in hex.
   */
  static List<String> established(int[] ports) {
    List<String> found = new ArrayList<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(PROC_NET_TCP, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (int i = 1; i < lines.size(); i++) {
      String[] columns = lines.get(i).trim().split("\\s+");
      if (columns.length < 4 || !columns[3].equals(ESTABLISHED)) {
        continue;
      }
      String[] remote = columns[2].split(":");
      if (remote.length != 2 || !remote[0].equals(LOOPBACK)) {
        continue;
      }
      int port = Integer.parseInt(remote[1], 16);
      if (port >= ports[0] && port <= ports[1]) {
        found.add(columns[1] + " -> " + columns[2]);
      }
    }
    return found;
  }

  /**
   * Starts {@code ss -K} for every TCP connection to 127.0.0.1 with a destination port in {@code
   * ports} (what {@link LibvirtDaemons.Hosts#breakMigrationConnections} runs), held back until
   * {@link Armed#fire()}.
   */
  static Armed arm(int[] ports) {
    List<String> command = new ArrayList<>(List.of("sh", "-c", "read line && exec \"$0\" \"$@\""));
    command.addAll(LibvirtDaemons.killConnections(ports));
    try {
      return new Armed(new ProcessBuilder(command).redirectErrorStream(true).start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An {@code ss -K} waiting for the go. */
  static final class Armed implements AutoCloseable {
    private final Process process;

    private Armed(Process process) {
      this.process = process;
    }

    /** Lets {@code ss -K} run; returns what it printed (the connections it killed, if any). */
    String fire() {
      try {
        OutputStream in = process.getOutputStream();
        in.write('\n');
        in.flush();
        in.close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
          throw new IllegalStateException("ss -K failed: " + out);
        }
        return out;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while running ss -K", e);
      }
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }
}
