package dev.livemigration.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * QEMU's own loopback migration of a guest of the given size, for comparison with the data plane:
 * two {@code qemu-system-x86_64 -machine none} processes whose RAM is a {@code memory-backend-file}
 * on {@code /dev/shm} filled with random bytes (no guest code runs), driven over QMP on unix
 * sockets ({@code migrate-incoming}, {@code migrate}, {@code query-migrate}). Modes: one TCP
 * stream, multifd, and TLS ({@code tls-creds-x509} on throwaway files made with {@code openssl},
 * peers verified both ways). The rate is the guest's size divided by QEMU's {@code total-time},
 * unlimited bandwidth ({@code max-bandwidth} set high; QEMU's default is 32 MiB/s).
 *
 * <p>Run alone: {@code java -cp ... dev.livemigration.examples.bench.QemuBenchmark [MiB]}.
 */
public final class QemuBenchmark implements AutoCloseable {
  private static final String QEMU = "qemu-system-x86_64";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final long mib;
  private final Path dir;
  private final Path pki;

  /** One migration's figures: bytes/s of guest memory and QEMU's downtime. */
  record Result(double bytesPerSecond, long downtimeMillis, long totalMillis) {}

  private QemuBenchmark(long mib, Path dir) throws IOException, InterruptedException {
    this.mib = mib;
    this.dir = dir;
    this.pki = dir.resolve("pki");
    Files.createDirectories(pki);
    makePki(pki);
  }

  /** Whether {@code qemu-system-x86_64} and {@code openssl} are on the path. */
  static boolean available() {
    return onPath(QEMU) && onPath("openssl");
  }

  private static boolean onPath(String command) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) {
        return true;
      }
    }
    return false;
  }

  /** Prepares a run with a guest of {@code mib} MiB; files go to a fresh folder on /dev/shm. */
  static QemuBenchmark create(long mib) throws IOException, InterruptedException {
    Path base = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of("/tmp");
    return new QemuBenchmark(mib, Files.createTempDirectory(base, "lm-qemu-bench-"));
  }

  /** Runs each mode {@code rounds} times and prints the best, as {@code main} of its own. */
  public static void main(String[] args) throws Exception {
    long mib = args.length > 0 ? Long.parseLong(args[0]) : 2048;
    int rounds = Integer.getInteger("bench.rounds", 3);
    try (QemuBenchmark qemu = create(mib)) {
      for (Mode mode : Mode.values()) {
        Result best = qemu.best(mode, rounds);
        System.out.printf(
            Locale.ROOT,
            "qemu %-22s %6.0f MiB/s  downtime %d ms%n",
            mode.label(),
            best.bytesPerSecond() / (1 << 20),
            best.downtimeMillis());
      }
    }
  }

  /** QEMU's migration modes measured. */
  enum Mode {
    TCP(false, 0),
    MULTIFD_2(false, 2),
    MULTIFD_4(false, 4),
    TLS(true, 0),
    TLS_MULTIFD_2(true, 2);

    final boolean tls;
    final int channels;

    Mode(boolean tls, int channels) {
      this.tls = tls;
      this.channels = channels;
    }

    String label() {
      String transport = tls ? "tls" : "tcp";
      return channels == 0
          ? transport + ", 1 stream"
          : transport + ", multifd " + channels + " channels";
    }
  }

  /** The best of {@code rounds} migrations in this mode (highest rate). */
  Result best(Mode mode, int rounds) throws Exception {
    Result best = null;
    for (int i = 0; i < rounds; i++) {
      Result r = migrate(mode);
      if (best == null || r.bytesPerSecond() > best.bytesPerSecond()) {
        best = r;
      }
    }
    return best;
  }

  /** One migration from a fresh source to a fresh target. */
  Result migrate(Mode mode) throws Exception {
    Path source = dir.resolve("source.ram");
    Path target = dir.resolve("target.ram");
    fillRandom(source, mib << 20);
    Files.deleteIfExists(target);
    try (Qemu src = Qemu.start(dir, "source", source, mib, false);
        Qemu dst = Qemu.start(dir, "target", target, mib, true)) {
      for (Qemu q : List.of(src, dst)) {
        q.execute("migrate-set-capabilities", capabilities(mode.channels > 0));
        String params =
            "{\"max-bandwidth\": 1099511627776"
                + (mode.channels > 0 ? ", \"multifd-channels\": " + mode.channels : "")
                + (mode.tls ? ", \"tls-creds\": \"tls0\"" : "")
                + "}";
        if (mode.tls) {
          q.execute(
              "object-add",
              "{\"qom-type\": \"tls-creds-x509\", \"id\": \"tls0\", \"dir\": \""
                  + pki
                  + "\", \"endpoint\": \""
                  + (q == dst ? "server" : "client")
                  + "\", \"verify-peer\": true}");
        }
        q.execute("migrate-set-parameters", params);
      }
      int port;
      try (ServerSocket probe = new ServerSocket(0)) {
        port = probe.getLocalPort();
      }
      String uri = "tcp:127.0.0.1:" + port;
      dst.execute("migrate-incoming", "{\"uri\": \"" + uri + "\"}");
      src.execute("migrate", "{\"uri\": \"" + uri + "\"}");
      while (true) {
        JsonNode info = src.execute("query-migrate", "{}");
        String status = info.path("status").asText();
        if (status.equals("completed")) {
          long total = info.path("total-time").asLong();
          long downtime = info.path("downtime").asLong(-1);
          if (Files.mismatch(source, target) >= 0) {
            throw new IllegalStateException("QEMU's target memory differs from the source");
          }
          return new Result((mib << 20) / (total / 1000.0), downtime, total);
        }
        if (status.equals("failed") || status.equals("cancelled")) {
          throw new IllegalStateException(
              "QEMU migration " + status + ": " + info.path("error-desc").asText());
        }
        TimeUnit.MILLISECONDS.sleep(20);
      }
    }
  }

  private static String capabilities(boolean multifd) {
    return "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": " + multifd + "}]}";
  }

  /** Fills {@code file} with {@code bytes} of xorshift noise (incompressible, like our guest). */
  private static void fillRandom(Path file, long bytes) throws IOException {
    try (FileChannel out =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      long x = 0x9E3779B97F4A7C15L ^ System.nanoTime();
      for (long at = 0; at < bytes; at += chunk.capacity()) {
        chunk.clear();
        while (chunk.hasRemaining()) {
          x ^= x << 13;
          x ^= x >>> 7;
          x ^= x << 17;
          chunk.putLong(x);
        }
        chunk.flip();
        while (chunk.hasRemaining()) {
          out.write(chunk);
        }
      }
    }
  }

  /** A CA, a server and a client certificate in the file names QEMU's tls-creds-x509 expects. */
  private static void makePki(Path d) throws IOException, InterruptedException {
    Files.writeString(
        d.resolve("server.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
            + "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
    Files.writeString(
        d.resolve("client.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
            + "extendedKeyUsage=clientAuth\n");
    openssl(
        d,
        "req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca-cert.pem -days 2"
            + " -subj /CN=bench-ca -addext basicConstraints=critical,CA:TRUE"
            + " -addext keyUsage=critical,keyCertSign,cRLSign");
    for (String who : new String[] {"server", "client"}) {
      openssl(
          d,
          "req -newkey rsa:2048 -nodes -keyout "
              + who
              + "-key.pem -out "
              + who
              + ".csr -subj /CN="
              + (who.equals("server") ? "localhost" : "bench-client"));
      openssl(
          d,
          "x509 -req -in "
              + who
              + ".csr -CA ca-cert.pem -CAkey ca-key.pem -CAcreateserial -days 2 -out "
              + who
              + "-cert.pem -extfile "
              + who
              + ".ext");
    }
  }

  private static void openssl(Path d, String args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args.split(" ")));
    Process p =
        new ProcessBuilder(command)
            .directory(d.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (p.waitFor() != 0) {
      throw new IOException("openssl " + args + " failed");
    }
  }

  @Override
  public void close() throws IOException {
    try (var files = Files.walk(dir)) {
      files
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(
              f -> {
                try {
                  Files.deleteIfExists(f);
                } catch (IOException e) {
                  // Best effort.
                }
              });
    }
  }

  /** One QEMU process and its QMP connection. */
  private static final class Qemu implements AutoCloseable {
    private final Process process;
    private final SocketChannel qmp;
    private final BufferedReader in;
    private final OutputStream out;

    private Qemu(Process process, SocketChannel qmp) {
      this.process = process;
      this.qmp = qmp;
      this.in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(qmp), StandardCharsets.UTF_8));
      this.out = Channels.newOutputStream(qmp);
    }

    static Qemu start(Path dir, String name, Path ram, long mib, boolean incoming)
        throws Exception {
      Path socket = dir.resolve(name + ".qmp");
      Files.deleteIfExists(socket);
      List<String> command =
          new ArrayList<>(
              List.of(
                  QEMU,
                  "-machine",
                  "none,memory-backend=ram0",
                  "-m",
                  mib + "M",
                  "-object",
                  "memory-backend-file,id=ram0,size=" + mib + "M,mem-path=" + ram + ",share=on",
                  "-nodefaults",
                  "-display",
                  "none",
                  "-qmp",
                  "unix:" + socket + ",server=on,wait=off"));
      if (incoming) {
        command.addAll(List.of("-incoming", "defer"));
      }
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve(name + ".log").toFile())
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        if (!process.isAlive()) {
          throw new IOException(
              "qemu exited: " + Files.readString(dir.resolve(name + ".log")).strip());
        }
        if (Files.exists(socket)) {
          try {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            Qemu q = new Qemu(process, channel);
            q.in.readLine(); // The greeting.
            q.execute("qmp_capabilities", "{}");
            return q;
          } catch (IOException e) {
            // Not listening yet.
          }
        }
        if (System.nanoTime() > deadline) {
          process.destroyForcibly();
          throw new IOException("qemu did not open its QMP socket " + socket);
        }
        TimeUnit.MILLISECONDS.sleep(20);
      }
    }

    /** Sends a command and returns its {@code return}; events in between are skipped. */
    JsonNode execute(String command, String arguments) throws IOException {
      String line = "{\"execute\": \"" + command + "\", \"arguments\": " + arguments + "}\n";
      out.write(line.getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (true) {
        String reply = in.readLine();
        if (reply == null) {
          throw new IOException("QMP closed after " + command);
        }
        JsonNode node = JSON.readTree(reply);
        if (node.has("return")) {
          return node.get("return");
        }
        if (node.has("error")) {
          throw new IOException(command + ": " + node.get("error").path("desc").asText());
        }
      }
    }

    @Override
    public void close() throws IOException {
      try {
        execute("quit", "{}");
      } catch (IOException e) {
        // Already gone.
      }
      qmp.close();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
