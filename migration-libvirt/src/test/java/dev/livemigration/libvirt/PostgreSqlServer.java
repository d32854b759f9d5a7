package dev.livemigration.libvirt;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private PostgreSQL server from Debian's {@code postgresql} package for the JDBC store of the
 * resume tests: {@code initdb} and {@code pg_ctl} in a temporary directory, on a free port of
 * 127.0.0.1, trust authentication, no fsync; as the unprivileged {@code postgres} user when run as
 * root. The minimal start logic of migration-jdbc's test extension {@code PostgreSql} (test code of
 * that module, so not on this module's class path), kept in step with it by hand.
 */
final class PostgreSqlServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PostgreSqlServer.class);
  private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final String USER = "postgres";

  private final Path workDir;
  private final Path bin;
  private final int port;
  private boolean closed;

  private PostgreSqlServer(Path workDir, Path bin, int port) {
    this.workDir = workDir;
    this.bin = bin;
    this.port = port;
  }

  /** Why PostgreSQL cannot run here, if it cannot. */
  static Optional<String> whyUnavailable() {
    if (binaries().isEmpty()) {
      return Optional.of(
          "no initdb and pg_ctl under "
              + DEBIAN_ROOT
              + "/<version>/bin; install the Debian package postgresql");
    }
    if (isRoot() && LibvirtDaemons.which("runuser").isEmpty()) {
      return Optional.of("runuser (util-linux) is needed to run PostgreSQL as " + USER);
    }
    return Optional.empty();
  }

  /** Starts a server; call {@link #whyUnavailable()} first. */
  static PostgreSqlServer start() throws IOException {
    Path bin = binaries().orElseThrow();
    long started = System.nanoTime();
    Path workDir =
        Files.createDirectories(
            Path.of(
                System.getProperty("java.io.tmpdir"),
                "livemigration-libvirt-pg-"
                    + ProcessHandle.current().pid()
                    + "-"
                    + UUID.randomUUID().toString().substring(0, 8)));
    if (isRoot()) {
      if (!run(List.of("id", "-u", USER), false)) {
        run(
            List.of(
                "useradd",
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                USER),
            true);
      }
      run(List.of("chown", USER + ":", workDir.toString()), true);
    }
    Path data = workDir.resolve("data");
    run(
        asServerUser(
            bin.resolve("initdb").toString(),
            "-D",
            data.toString(),
            "-U",
            USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync"),
        true);
    int port = freePort();
    run(
        asServerUser(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-l",
            workDir.resolve("server.log").toString(),
            "-w",
            "-t",
            String.valueOf(START_TIMEOUT.toSeconds()),
            "-o",
            "-c listen_addresses=127.0.0.1 -p "
                + port
                + " -k "
                + workDir
                + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "start"),
        true);
    LOG.info(
        "Started PostgreSQL on 127.0.0.1:{} in {} ms under {}",
        port,
        Duration.ofNanos(System.nanoTime() - started).toMillis(),
        workDir);
    return new PostgreSqlServer(workDir, bin, port);
  }

  /** The port on 127.0.0.1. */
  int port() {
    return port;
  }

  /** A data source on the {@code postgres} database of the server on this port. */
  static DataSource dataSource(int port) {
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setServerNames(new String[] {"127.0.0.1"});
    source.setPortNumbers(new int[] {port});
    source.setDatabaseName("postgres");
    source.setUser(USER);
    source.setConnectTimeout(10);
    source.setSocketTimeout(60);
    return source;
  }

  /** Stops the server at once and deletes its directory. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      run(
          asServerUser(
              bin.resolve("pg_ctl").toString(),
              "-D",
              workDir.resolve("data").toString(),
              "-m",
              "immediate",
              "-w",
              "stop"),
          true);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not stop PostgreSQL under {}: {}", workDir, e.getMessage());
    }
    LibvirtDaemons.deleteTree(workDir);
  }

  private static Optional<Path> binaries() {
    if (!Files.isDirectory(DEBIAN_ROOT)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(DEBIAN_ROOT)) {
      return versions
          .map(version -> version.resolve("bin"))
          .filter(
              b ->
                  Files.isExecutable(b.resolve("initdb"))
                      && Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparing(b -> b.getParent().getFileName().toString()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static List<String> asServerUser(String... command) {
    List<String> full = new ArrayList<>();
    if (isRoot()) {
      full.addAll(List.of("runuser", "-u", USER, "--"));
    }
    full.addAll(List.of(command));
    return full;
  }

  /**
   * Runs a command; returns whether it exited with 0, or throws if {@code check} and it did not.
   */
  private static boolean run(List<String> command, boolean check) throws IOException {
    Path output = Files.createTempFile("livemigration-pg-cmd", ".log");
    try {
      // Output to a file: the server that pg_ctl starts must not hold a pipe of this JVM.
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      if (!process.waitFor(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish in " + START_TIMEOUT);
      }
      if (process.exitValue() != 0 && check) {
        throw new IOException(
            String.join(" ", command)
                + " exited with "
                + process.exitValue()
                + ": "
                + Files.readString(output, StandardCharsets.UTF_8).strip());
      }
      return process.exitValue() == 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command, e);
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
