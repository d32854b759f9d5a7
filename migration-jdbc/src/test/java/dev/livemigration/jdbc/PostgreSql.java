package dev.livemigration.jdbc;

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
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JUnit 5 extension that runs a private PostgreSQL server from Debian's {@code postgresql}
 * package for the whole test run: {@code initdb} and {@code pg_ctl} from {@code
 * /usr/lib/postgresql/<version>/bin} in a temporary directory, listening on a free port of
 * 127.0.0.1 and on a unix socket in that directory, with trust authentication and without fsync.
 * When the tests run as root, the server runs as the unprivileged {@code postgres} user (through
 * {@code runuser}), created as a system user if missing.
 *
 * <p>Test classes get the server as a {@link Server} parameter; it starts when the first class that
 * uses it starts and stops at the end of the run (or in a shutdown hook if the run is interrupted).
 *
 * <p>When PostgreSQL cannot run here, the tests are skipped with the reason, unless the environment
 * variable {@code CI} is {@code true}: then they fail, so that CI never passes with them skipped.
 */
public final class PostgreSql implements BeforeAllCallback, ParameterResolver {
  private static final Logger LOG = LoggerFactory.getLogger(PostgreSql.class);
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(PostgreSql.class);
  private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final String USER = "postgres";

  /** Whether this run is CI, where the PostgreSQL tests must run: {@code CI=true}. */
  static boolean inCi() {
    return "true".equalsIgnoreCase(Optional.ofNullable(System.getenv("CI")).orElse("").trim());
  }

  /** Skips the calling test with this reason, or fails it when {@code ci}. */
  static void skipOrFail(String reason, boolean ci) {
    if (ci) {
      throw new ExtensionConfigurationException(
          reason + " (CI=true, so the PostgreSQL integration tests must not be skipped)");
    }
    Assumptions.abort(reason);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    Server server = server(context);
    if (server.unavailable.isPresent()) {
      skipOrFail(server.unavailable.get(), inCi());
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Server.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return server(context);
  }

  private static Server server(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(Server.class, key -> Server.start(), Server.class);
  }

  /** The directory of the newest Debian PostgreSQL server binaries, if installed. */
  static Optional<Path> binaries() {
    if (!Files.isDirectory(DEBIAN_ROOT)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(DEBIAN_ROOT)) {
      return versions
          .map(version -> version.resolve("bin"))
          .filter(bin -> Files.isExecutable(bin.resolve("initdb")))
          .filter(bin -> Files.isExecutable(bin.resolve("pg_ctl")))
          .max(Comparator.comparing(PostgreSql::majorVersion));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static int majorVersion(Path bin) {
    try {
      return Integer.parseInt(bin.getParent().getFileName().toString().replaceAll("\\D", ""));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The first reason why PostgreSQL cannot run here, if there is one. */
  /** Why a private PostgreSQL cannot run here, or empty when it can. */
  public static Optional<String> whyUnavailable() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return Optional.of("PostgreSQL integration tests skipped: they need Linux");
    }
    if (binaries().isEmpty()) {
      return Optional.of(
          "PostgreSQL integration tests skipped: no initdb and pg_ctl under "
              + DEBIAN_ROOT
              + "/<version>/bin; install the Debian package postgresql");
    }
    if (isRoot()
        && !Files.isExecutable(Path.of("/usr/sbin/runuser"))
        && !Files.isExecutable(Path.of("/sbin/runuser"))) {
      return Optional.of(
          "PostgreSQL integration tests skipped: they run as root and need runuser (util-linux)"
              + " to start the server as the unprivileged user "
              + USER);
    }
    return Optional.empty();
  }

  static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /**
   * The running server: a data source on its {@code postgres} database, and fresh table prefixes so
   * that each test has a store of its own.
   *
   * <p>Closed by JUnit at the end of the run (it is {@link AutoCloseable} in the root store).
   */
  /**
   * A new data source on the {@code postgres} database of a private server on 127.0.0.1:{@code
   * port}, as user {@code postgres}: for child JVMs that know only the port.
   */
  public static DataSource dataSource(int port) {
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setServerNames(new String[] {"127.0.0.1"});
    source.setPortNumbers(new int[] {port});
    source.setDatabaseName("postgres");
    source.setUser("postgres");
    source.setConnectTimeout(10);
    source.setSocketTimeout(60);
    return source;
  }

  public static final class Server implements AutoCloseable {
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    private final Optional<String> unavailable;
    private final Path workDir;
    private final Path bin;
    private final int port;
    private final Thread shutdownHook;
    private boolean closed;

    private Server(Optional<String> unavailable, Path workDir, Path bin, int port) {
      this.unavailable = unavailable;
      this.workDir = workDir;
      this.bin = bin;
      this.port = port;
      this.shutdownHook = new Thread(this::stop, "postgresql-shutdown");
    }

    /** Starts a private server; one that cannot run here says why in its state. */
    public static Server start() {
      Optional<String> why = whyUnavailable();
      if (why.isPresent()) {
        return new Server(why, Path.of("/nonexistent"), Path.of("/nonexistent"), 0);
      }
      Path bin = binaries().orElseThrow();
      long started = System.nanoTime();
      Path workDir;
      try {
        workDir =
            Files.createDirectories(
                Path.of(
                    System.getProperty("java.io.tmpdir"),
                    "livemigration-pg-"
                        + ProcessHandle.current().pid()
                        + "-"
                        + UUID.randomUUID().toString().substring(0, 8)));
        if (isRoot()) {
          ensureUser();
          run(List.of("chown", USER + ":", workDir.toString()), Duration.ofSeconds(10));
        }
        run(
            asServerUser(
                bin.resolve("initdb").toString(),
                "-D",
                workDir.resolve("data").toString(),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync"),
            START_TIMEOUT);
      } catch (IOException e) {
        throw new ExtensionConfigurationException("could not prepare PostgreSQL: " + e, e);
      }
      IOException last = null;
      for (int attempt = 0; attempt < 3; attempt++) {
        int port = freePort();
        Server server = new Server(Optional.empty(), workDir, bin, port);
        try {
          server.launch();
          Runtime.getRuntime().addShutdownHook(server.shutdownHook);
          LOG.info(
              "Started PostgreSQL {} on 127.0.0.1:{} in {} ms under {}",
              bin.getParent().getFileName(),
              port,
              Duration.ofNanos(System.nanoTime() - started).toMillis(),
              workDir);
          return server;
        } catch (IOException e) {
          last = e;
          LOG.warn("PostgreSQL did not start on port {}: {}", port, e.getMessage());
        }
      }
      throw new ExtensionConfigurationException(
          "could not start PostgreSQL: " + last.getMessage() + "\n" + logTail(workDir), last);
    }

    private void launch() throws IOException {
      run(
          asServerUser(
              bin.resolve("pg_ctl").toString(),
              "-D",
              workDir.resolve("data").toString(),
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
                  + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                  + " -c max_connections=200 -c shared_buffers=32MB",
              "start"),
          START_TIMEOUT.plusSeconds(10));
    }

    /** The port the server listens on, on 127.0.0.1. */
    public int port() {
      return port;
    }

    /** The JDBC URL of the {@code postgres} database. */
    public String jdbcUrl() {
      return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    }

    /** A new data source on the {@code postgres} database as user {@code postgres}. */
    public DataSource dataSource() {
      return PostgreSql.dataSource(port);
    }

    /** A table prefix that no other test of this run uses: {@code t<n>_}. */
    public String freshPrefix() {
      return "t" + PREFIXES.incrementAndGet() + "_";
    }

    /** Stops the server at once and deletes its directory. Idempotent. */
    @Override
    public void close() {
      stop();
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // The JVM is shutting down: the hook runs or ran.
      }
    }

    private synchronized void stop() {
      if (closed || unavailable.isPresent()) {
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
            Duration.ofSeconds(30));
      } catch (IOException | RuntimeException e) {
        LOG.warn("Could not stop PostgreSQL under {}: {}", workDir, e.getMessage());
      }
      deleteTree(workDir);
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

  private static void ensureUser() throws IOException {
    if (run(List.of("id", "-u", USER), Duration.ofSeconds(10), false) == 0) {
      return;
    }
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
        Duration.ofSeconds(30));
  }

  private static void run(List<String> command, Duration timeout) throws IOException {
    run(command, timeout, true);
  }

  private static int run(List<String> command, Duration timeout, boolean check) throws IOException {
    Path output = Files.createTempFile("livemigration-pg-cmd", ".log");
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within " + timeout);
      }
      int code = process.exitValue();
      if (check && code != 0) {
        throw new IOException(
            String.join(" ", command)
                + " exited with "
                + code
                + ": "
                + Files.readString(output, StandardCharsets.UTF_8).strip());
      }
      return code;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command, e);
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String logTail(Path workDir) {
    Path log = workDir.resolve("server.log");
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no server log at " + log + ")";
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      LOG.warn("Could not delete {}: {}", root, e.getMessage());
    }
  }
}
