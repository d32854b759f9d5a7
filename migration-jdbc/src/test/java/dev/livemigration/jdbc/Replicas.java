package dev.livemigration.jdbc;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The parent's side of the engine replica JVMs ({@link ReplicaMain}): starts them, sends them
 * commands, signals them, reads their logs ({@code <replica>.out}: events and operations; {@code
 * <replica>.err}: the engine's log) and parses their events.
 */
final class Replicas implements AutoCloseable {
  private final PostgreSql.Server server;
  private final String prefix;
  private final Path logs;
  private final long leaseMillis;
  private final long sampleMillis;
  private final Map<String, Process> processes = new LinkedHashMap<>();

  Replicas(
      PostgreSql.Server server, String prefix, Path logs, long leaseMillis, long sampleMillis) {
    this.server = server;
    this.prefix = prefix;
    this.logs = logs;
    this.leaseMillis = leaseMillis;
    this.sampleMillis = sampleMillis;
  }

  /** One engine event from a replica's log. */
  record Event(
      String kind, String uid, String replica, Instant at, String vmi, String extra, String log) {

    /** Whether it is a migration's end: Succeeded or Failed. */
    boolean isEnd() {
      return kind.equals("Succeeded") || kind.equals("Failed");
    }
  }

  /** Starts a replica JVM and waits until its engine is ready. */
  Process start(String replica) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process process =
        new ProcessBuilder(
                java,
                "-Xmx128m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Xshare:auto",
                "-cp",
                classpath,
                ReplicaMain.class.getName(),
                String.valueOf(server.port()),
                prefix,
                replica,
                String.valueOf(leaseMillis),
                String.valueOf(sampleMillis))
            .redirectOutput(logs.resolve(replica + ".out").toFile())
            .redirectError(logs.resolve(replica + ".err").toFile())
            .start();
    processes.put(replica, process);
    return process;
  }

  /** Waits until every started replica printed READY. */
  void awaitReady() throws InterruptedException {
    for (String replica : processes.keySet()) {
      await(() -> has(replica, "READY "), 60, () -> replica + " ready:\n" + log(replica));
    }
  }

  Process process(String replica) {
    return processes.get(replica);
  }

  /** Sends one command line to a replica. */
  void send(String replica, String command) throws IOException {
    OutputStream in = processes.get(replica).getOutputStream();
    in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  /** Sends a signal ({@code STOP}, {@code CONT}) to a replica's JVM. */
  void signal(String replica, String signal) throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-" + signal, String.valueOf(processes.get(replica).pid()))
            .inheritIO()
            .start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + replica + " failed");
    }
  }

  /** Tells every live replica to close, and waits for each to exit with 0. */
  void closeAll(int seconds) throws IOException, InterruptedException {
    for (Map.Entry<String, Process> p : processes.entrySet()) {
      if (p.getValue().isAlive()) {
        send(p.getKey(), "close");
      }
    }
    for (Map.Entry<String, Process> p : processes.entrySet()) {
      Process process = p.getValue();
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        throw new AssertionError(p.getKey() + " did not close; its log:\n" + log(p.getKey()));
      }
    }
  }

  /** Kills whatever still runs: a failed test leaves no JVM behind. */
  @Override
  public void close() {
    for (Process process : processes.values()) {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }

  List<String> lines(String replica) {
    try {
      Path out = logs.resolve(replica + ".out");
      return Files.exists(out) ? Files.readAllLines(out, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      return List.of();
    }
  }

  String stderr(String replica) {
    try {
      Path err = logs.resolve(replica + ".err");
      return Files.exists(err) ? Files.readString(err, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** A replica's whole log, for an assertion's message. */
  String log(String replica) {
    List<String> out = lines(replica);
    String stderr = stderr(replica);
    return String.join("\n", out.subList(Math.max(0, out.size() - 80), out.size()))
        + "\n--- stderr (tail)\n"
        + stderr.substring(Math.max(0, stderr.length() - 6_000));
  }

  boolean has(String replica, String start) {
    return lines(replica).stream().anyMatch(line -> line.startsWith(start));
  }

  /** Lines of every replica that start with this text. */
  List<String> linesStarting(String start) {
    List<String> all = new ArrayList<>();
    for (String replica : processes.keySet()) {
      lines(replica).stream().filter(line -> line.startsWith(start)).forEach(all::add);
    }
    return all;
  }

  /** Every event of every replica, each replica's in the order it printed them. */
  List<Event> events() {
    List<Event> all = new ArrayList<>();
    for (String replica : processes.keySet()) {
      for (String line : lines(replica)) {
        if (line.startsWith("EVENT ")) {
          String[] f = line.split(" ", 8);
          all.add(
              new Event(
                  f[1],
                  f[2],
                  f[3],
                  Instant.parse(f[4]),
                  f[5],
                  f.length > 6 ? f[6] + (f.length > 7 ? " " + f[7] : "") : "",
                  replica));
        }
      }
    }
    return all;
  }

  Iterable<String> names() {
    return processes.keySet();
  }

  static void await(BooleanSupplier condition, int seconds, String what)
      throws InterruptedException {
    await(condition, seconds, () -> what);
  }

  /** Waits for the condition; the message, read at the deadline, says what did not happen. */
  static void await(BooleanSupplier condition, int seconds, Supplier<String> what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + seconds + " s: " + what.get());
      }
      Thread.sleep(50);
    }
  }
}
