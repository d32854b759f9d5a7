package dev.livemigration.libvirt;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JUnit 5 extension that runs two private libvirt daemons, {@code node-a} and {@code node-b}, for
 * the whole test run, as {@code docs/libvirt-lab.md} describes: each in its own mount namespace
 * ({@code unshare --mount --propagation private}) with private {@code /run}, {@code /var} and
 * {@code /etc/libvirt} bind-mounted from a work directory, its own {@code host_uuid} and migration
 * port range, and private copies of {@code /etc/passwd} and {@code /etc/group} that add the {@code
 * libvirt-qemu} user the QEMU driver looks up (the real files are not touched). Each daemon also
 * has a started directory pool {@code images} on {@code /var/lib/libvirt/images}, so that libvirt
 * creates the disk images of a block migration. Each daemon also listens on TCP on 127.0.0.1 (a
 * free port, no authentication), so that tests can reach it by a network URI too. QEMU's migration
 * TLS directory ({@code migrate_tls_x509_cert_dir}, with client certificates verified) is a private
 * one per daemon, {@link Hosts#migrationTlsDir(String)}, empty unless a test puts certificates
 * there.
 *
 * <p>Test classes get the daemons as a {@link Hosts} parameter. The daemons start once, when the
 * first class that uses them starts, and stop at the end of the run, after every domain on them has
 * been destroyed and every process left in their mount namespaces (QEMU) has been killed; a JVM
 * shutdown hook does the same if the run is interrupted.
 *
 * <p>When libvirt cannot run here (not Linux, not root, a binary missing), the tests are skipped
 * with a message saying why, unless the environment variable {@code CI} is {@code true}: then they
 * fail, so that CI never passes with the libvirt tests skipped.
 */
public final class LibvirtDaemons implements BeforeAllCallback, ParameterResolver {
  private static final Logger LOG = LoggerFactory.getLogger(LibvirtDaemons.class);
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(LibvirtDaemons.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
  private static final List<String> BINARIES =
      List.of(
          "libvirtd", "qemu-system-x86_64", "qemu-img", "virsh", "virt-admin", "unshare", "mount");

  /** Whether this run is CI, where the libvirt tests must run: {@code CI=true}. */
  static boolean inCi() {
    return "true".equalsIgnoreCase(Optional.ofNullable(System.getenv("CI")).orElse("").trim());
  }

  /** Skips the calling test with this reason, or fails it in CI. */
  static void skipOrFail(String reason) {
    skipOrFail(reason, inCi());
  }

  /** Skips the calling test with this reason, or fails it when {@code ci}. */
  static void skipOrFail(String reason, boolean ci) {
    if (ci) {
      throw new ExtensionConfigurationException(
          reason + " (CI=true, so the libvirt integration tests must not be skipped)");
    }
    Assumptions.abort(reason);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    Hosts hosts = hosts(context);
    if (hosts.unavailable().isPresent()) {
      skipOrFail(hosts.unavailable().get());
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Hosts.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return hosts(context);
  }

  private static Hosts hosts(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(Hosts.class, key -> Hosts.start(), Hosts.class);
  }

  /** The first reason why libvirt daemons cannot run on this machine, if there is one. */
  static Optional<String> whyUnavailable() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return Optional.of("libvirt integration tests skipped: they need Linux");
    }
    for (String binary : BINARIES) {
      if (which(binary).isEmpty()) {
        return Optional.of(
            "libvirt integration tests skipped: '"
                + binary
                + "' is not installed; install the Debian packages qemu-system-x86 qemu-utils"
                + " libvirt-daemon libvirt-clients libvirt0");
      }
    }
    try {
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      if (!Integer.valueOf(0).equals(uid)) {
        return Optional.of(
            "libvirt integration tests skipped: private libvirt daemons need root (uid 0), but"
                + " the tests run as uid "
                + uid);
      }
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.of("libvirt integration tests skipped: cannot tell the user id: " + e);
    }
    if (!Files.isDirectory(Path.of("/etc/libvirt"))) {
      return Optional.of(
          "libvirt integration tests skipped: /etc/libvirt is missing (package libvirt-clients)");
    }
    return Optional.empty();
  }

  /**
   * The {@code ss} command that destroys the TCP connections to 127.0.0.1 on ports {@code ports[0]}
   * to {@code ports[1]}.
   */
  static List<String> killConnections(int[] ports) {
    return List.of(
        which("ss").orElseThrow().toString(),
        "-K",
        "-t",
        "-n",
        "dst",
        "127.0.0.1",
        "and",
        "dport",
        ">=",
        ":" + ports[0],
        "and",
        "dport",
        "<=",
        ":" + ports[1]);
  }

  /** Returns the path of an executable on the PATH (or in /usr/sbin and /sbin). */
  static Optional<Path> which(String binary) {
    List<String> dirs =
        new ArrayList<>(List.of(Optional.ofNullable(System.getenv("PATH")).orElse("").split(":")));
    dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
    return dirs.stream()
        .filter(dir -> !dir.isBlank())
        .map(dir -> Path.of(dir, binary))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /**
   * The two daemons of the run: their nodes, URIs and directories.
   *
   * <p>Closed by JUnit at the end of the run (it is {@link AutoCloseable} in the root store).
   */
  public static final class Hosts implements AutoCloseable {
    /** The first node, where the tests start their domains. */
    public static final String NODE_A = "node-a";

    /** The second node. */
    public static final String NODE_B = "node-b";

    private final Optional<String> unavailable;
    private final Path workDir;
    private final Map<String, Daemon> daemons;
    private final Thread shutdownHook;
    private boolean closed;

    private Hosts(Optional<String> unavailable, Path workDir, Map<String, Daemon> daemons) {
      this.unavailable = unavailable;
      this.workDir = workDir;
      this.daemons = daemons;
      this.shutdownHook = new Thread(this::stopAll, "libvirt-daemons-shutdown");
    }

    static Hosts start() {
      Optional<String> why = whyUnavailable();
      if (why.isPresent()) {
        return new Hosts(why, Path.of("/nonexistent"), Map.of());
      }
      Path workDir;
      try {
        workDir =
            Files.createDirectories(
                Path.of(
                    "/tmp",
                    "livemigration-libvirt-"
                        + ProcessHandle.current().pid()
                        + "-"
                        + UUID.randomUUID().toString().substring(0, 8)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Map<String, Daemon> daemons = new LinkedHashMap<>();
      daemons.put(NODE_A, new Daemon(NODE_A, 1, workDir));
      daemons.put(NODE_B, new Daemon(NODE_B, 2, workDir));
      Hosts hosts = new Hosts(Optional.empty(), workDir, daemons);
      Runtime.getRuntime().addShutdownHook(hosts.shutdownHook);
      long started = System.nanoTime();
      try {
        writeUsers(workDir);
        for (Daemon daemon : daemons.values()) {
          daemon.launch();
        }
        for (Daemon daemon : daemons.values()) {
          daemon.awaitReady();
        }
      } catch (IOException | RuntimeException e) {
        String logs =
            daemons.values().stream().map(Daemon::logTail).reduce("", (a, b) -> a + "\n" + b);
        hosts.close();
        throw new ExtensionConfigurationException(
            "could not start the private libvirt daemons: " + e + logs, e);
      }
      LOG.info(
          "Started libvirt daemons {} in {} ms under {}",
          daemons.keySet(),
          Duration.ofNanos(System.nanoTime() - started).toMillis(),
          workDir);
      return hosts;
    }

    /** Why libvirt cannot run here, when it cannot. */
    Optional<String> unavailable() {
      return unavailable;
    }

    /** Returns the nodes' names and libvirt URIs. */
    public Map<String, String> uris() {
      Map<String, String> uris = new LinkedHashMap<>();
      daemons.forEach((node, daemon) -> uris.put(node, daemon.uri()));
      return uris;
    }

    /** Returns a node's libvirt URI. */
    public String uri(String node) {
      return daemon(node).uri();
    }

    /** Returns the nodes' names and their {@code qemu+tcp://127.0.0.1:<port>/system} URIs. */
    public Map<String, String> tcpUris() {
      Map<String, String> uris = new LinkedHashMap<>();
      daemons.forEach((node, daemon) -> uris.put(node, daemon.tcpUri()));
      return uris;
    }

    /** Returns the first and last port of a node's QEMU migration port range. */
    public int[] migrationPorts(String node) {
      int base = Daemon.migrationPortBase(daemon(node).index);
      return new int[] {base, base + Daemon.MIGRATION_PORTS - 1};
    }

    /**
     * Breaks every TCP connection to a node's QEMU migration ports, as a link failure would: {@code
     * ss -K} (root) destroys the connecting side's sockets, and the kernel resets the peer's.
     * Returns what {@code ss} printed (the connections it killed, if any).
     */
    public String breakMigrationConnections(String node) {
      return run(Duration.ofSeconds(10), killConnections(migrationPorts(node)));
    }

    /** Returns the TCP port a node's daemon listens on. */
    public int tcpPort(String node) {
      return daemon(node).tcpPort;
    }

    /**
     * Kills a node's daemon as a crash would (SIGKILL): its clients lose their connection, its QEMU
     * processes go on running. {@link #restart(String)} brings it back.
     */
    public void kill(String node) {
      daemon(node).kill();
    }

    /**
     * Returns the process ids of the daemon's clients connected over its unix socket, one per
     * connection, as {@code virt-admin client-info} reports them.
     */
    public List<Long> unixClientPids(String node) {
      String admin =
          "libvirtd:///system?socket=" + daemon(node).dir.resolve("run/libvirt/libvirt-admin-sock");
      List<Long> pids = new ArrayList<>();
      for (String line : virtAdmin(admin, "srv-clients-list", "libvirtd").split("\n")) {
        String[] columns = line.trim().split("\\s+");
        if (columns.length > 1 && columns[0].matches("\\d+") && columns[1].equals("unix")) {
          String info;
          try {
            info = virtAdmin(admin, "client-info", "libvirtd", columns[0]);
          } catch (IllegalStateException e) {
            continue; // the client left meanwhile
          }
          info.lines()
              .filter(l -> l.startsWith("unix_process_id"))
              .map(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim()))
              .forEach(pids::add);
        }
      }
      return pids;
    }

    private static String virtAdmin(String uri, String... command) {
      List<String> line = new ArrayList<>(List.of("virt-admin", "-c", uri));
      line.addAll(List.of(command));
      return run(STOP_TIMEOUT, line);
    }

    /** Starts a killed daemon again, on the same directories and ports; it finds its domains. */
    public void restart(String node) {
      Daemon daemon = daemon(node);
      try {
        daemon.launch();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      daemon.awaitReady();
    }

    /** Returns where a node's {@code /var/lib/libvirt/images} (pool {@code images}) really is. */
    public Path imagesDir(String node) {
      return daemon(node).dir.resolve("var/lib/libvirt/images");
    }

    /** Returns the path of {@code /var/lib/libvirt/images} as the node's QEMU sees it. */
    public String imagesPathInNode() {
      return "/var/lib/libvirt/images";
    }

    /**
     * Returns a node's migration TLS certificate directory, {@code migrate_tls_x509_cert_dir} in
     * its {@code qemu.conf} (with {@code migrate_tls_x509_verify = 1}): empty unless a test puts
     * {@code ca-cert.pem}, {@code server-cert.pem}, {@code server-key.pem}, {@code client-cert.pem}
     * and {@code client-key.pem} there. QEMU reads them at each TLS migration.
     */
    public Path migrationTlsDir(String node) {
      return daemon(node).migrationTlsDir();
    }

    /** Returns the run's work directory. */
    public Path workDir() {
      return workDir;
    }

    /** Destroys every domain on every node (between tests). */
    public void destroyAllDomains() {
      daemons.values().forEach(Daemon::destroyDomains);
    }

    private Daemon daemon(String node) {
      Daemon daemon = daemons.get(node);
      if (daemon == null) {
        throw new IllegalArgumentException("node must be one of " + daemons.keySet() + ": " + node);
      }
      return daemon;
    }

    @Override
    public void close() {
      stopAll();
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down
      }
    }

    private synchronized void stopAll() {
      if (closed) {
        return;
      }
      closed = true;
      if (daemons.isEmpty()) {
        return;
      }
      for (Daemon daemon : daemons.values()) {
        daemon.destroyDomains();
      }
      for (Daemon daemon : daemons.values()) {
        daemon.stop();
      }
      Path logs = buildDir().resolve("libvirt-daemons");
      try {
        Files.createDirectories(logs);
        for (Daemon daemon : daemons.values()) {
          if (Files.exists(daemon.log())) {
            Files.copy(
                daemon.log(),
                logs.resolve(daemon.node + ".log"),
                StandardCopyOption.REPLACE_EXISTING);
          }
        }
      } catch (IOException e) {
        LOG.warn("Could not keep the daemons' logs in {}", logs, e);
      }
      deleteTree(workDir);
      LOG.info("Stopped libvirt daemons {}; their logs are in {}", daemons.keySet(), logs);
    }
  }

  /** Writes private copies of /etc/passwd and /etc/group that know the user libvirt-qemu. */
  private static void writeUsers(Path workDir) throws IOException {
    List<String> passwd = Files.readAllLines(Path.of("/etc/passwd"));
    List<String> group = Files.readAllLines(Path.of("/etc/group"));
    int id = 64055;
    while (usesId(passwd, id) || usesId(group, id)) {
      id++;
    }
    if (passwd.stream().noneMatch(line -> line.startsWith("libvirt-qemu:"))) {
      passwd.add("libvirt-qemu:x:" + id + ":" + id + ":Libvirt Qemu:/var/lib/libvirt:/bin/false");
    }
    if (group.stream().noneMatch(line -> line.startsWith("libvirt-qemu:"))) {
      group.add("libvirt-qemu:x:" + id + ":");
    }
    Files.write(workDir.resolve("passwd"), passwd, StandardCharsets.UTF_8);
    Files.write(workDir.resolve("group"), group, StandardCharsets.UTF_8);
  }

  private static boolean usesId(List<String> lines, int id) {
    return lines.stream()
        .map(line -> line.split(":"))
        .anyMatch(fields -> fields.length > 2 && fields[2].equals(String.valueOf(id)));
  }

  /** Returns the module's build directory ({@code target}). */
  static Path buildDir() {
    try {
      Path classes =
          Path.of(LibvirtDaemons.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return classes.getParent();
    } catch (java.net.URISyntaxException | RuntimeException e) {
      return Path.of("target").toAbsolutePath();
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              path -> {
                try {
                  Files.deleteIfExists(path);
                } catch (IOException e) {
                  LOG.debug("Could not delete {}", path, e);
                }
              });
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("Could not delete {}", root, e);
    }
  }

  /** One private libvirt daemon. */
  private static final class Daemon {
    static final int MIGRATION_PORTS = 64;

    static int migrationPortBase(int index) {
      return 49152 + 100 * index;
    }

    private final String node;
    private final int index;
    private final Path workDir;
    private final Path dir;
    private final int tcpPort;
    private final List<String> mountNamespaces = new ArrayList<>();
    private Process process;

    Daemon(String node, int index, Path workDir) {
      this.node = node;
      this.index = index;
      this.workDir = workDir;
      this.dir = workDir.resolve(node);
      this.tcpPort = freePort();
    }

    String uri() {
      return "qemu+unix:///system?socket=" + dir.resolve("run/libvirt/libvirt-sock");
    }

    String tcpUri() {
      return "qemu+tcp://127.0.0.1:" + tcpPort + "/system";
    }

    Path log() {
      return dir.resolve("libvirtd.log");
    }

    /** QEMU's migration TLS certificate directory (same path inside the namespace: /tmp). */
    Path migrationTlsDir() {
      return dir.resolve("pki");
    }

    void launch() throws IOException {
      for (String sub :
          List.of("run", "var/lib/libvirt/images", "var/log", "var/cache", "etc", "pki")) {
        Files.createDirectories(dir.resolve(sub));
      }
      Files.writeString(
          dir.resolve("etc/libvirtd.conf"),
          String.join(
              "\n",
              "host_uuid = \"00000000-0000-4000-8000-00000000000" + index + "\"",
              "auth_unix_ro = \"none\"",
              "auth_unix_rw = \"none\"",
              "unix_sock_rw_perms = \"0700\"",
              "listen_tcp = 1",
              "listen_tls = 0",
              "listen_addr = \"127.0.0.1\"",
              "tcp_port = \"" + tcpPort + "\"",
              "auth_tcp = \"none\"",
              ""));
      int portBase = migrationPortBase(index);
      Files.writeString(
          dir.resolve("etc/qemu.conf"),
          String.join(
              "\n",
              "user = \"root\"",
              "group = \"root\"",
              "dynamic_ownership = 0",
              "security_driver = \"none\"",
              "cgroup_controllers = [ ]",
              "namespaces = [ ]",
              "stdio_handler = \"file\"",
              "migration_port_min = " + portBase,
              "migration_port_max = " + (portBase + MIGRATION_PORTS - 1),
              "migrate_tls_x509_cert_dir = \"" + migrationTlsDir() + "\"",
              "migrate_tls_x509_verify = 1",
              ""));
      String script =
          String.join(
              " && ",
              "mount --bind " + dir.resolve("run") + " /run",
              "mount --bind " + dir.resolve("var") + " /var",
              "mount --bind " + dir.resolve("etc") + " /etc/libvirt",
              "mount --bind " + workDir.resolve("passwd") + " /etc/passwd",
              "mount --bind " + workDir.resolve("group") + " /etc/group",
              "exec " + which("libvirtd").orElseThrow() + " --listen");
      ProcessBuilder builder =
          new ProcessBuilder(
                  which("unshare").orElseThrow().toString(),
                  "--mount",
                  "--propagation",
                  "private",
                  "--",
                  "/bin/sh",
                  "-c",
                  script)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
      process = builder.start();
      LOG.info("Starting libvirtd for {} (pid {}) in {}", node, process.pid(), dir);
    }

    void awaitReady() {
      long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
      Path socket = dir.resolve("run/libvirt/libvirt-sock");
      LibvirtException last = null;
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "libvirtd for " + node + " exited with status " + process.exitValue());
        }
        if (Files.exists(socket)) {
          try {
            Connect connect = new Connect(uri());
            try {
              connect.getCapabilities(); // waits for QEMU capability probing
              if (!List.of(connect.listStoragePools()).contains("images")) {
                connect
                    .storagePoolCreateXML(
                        "<pool type='dir'><name>images</name><target><path>"
                            + "/var/lib/libvirt/images</path></target></pool>",
                        0)
                    .free(); // else the pool keeps the connection open
              }
            } finally {
              connect.close();
            }
            String namespace = namespaceOf(process.pid()).orElseThrow();
            if (namespace.equals(namespaceOf(ProcessHandle.current().pid()).orElse(""))) {
              throw new IllegalStateException("libvirtd for " + node + " shares our namespace");
            }
            mountNamespaces.add(namespace);
            return;
          } catch (LibvirtException e) {
            last = e;
          }
        }
        sleep(Duration.ofMillis(200));
      }
      throw new IllegalStateException(
          "libvirtd for " + node + " did not answer within " + READY_TIMEOUT + ": " + last);
    }

    void destroyDomains() {
      if (process == null || !process.isAlive() || !Files.exists(dir.resolve("run/libvirt"))) {
        return;
      }
      try {
        Connect connect = new Connect(uri());
        try {
          for (Domain domain : connect.listAllDomains(0)) {
            try {
              if (domain.isActive() == 1) {
                try {
                  domain.abortJob();
                } catch (LibvirtException e) {
                  // no job
                }
                domain.destroy();
              }
              if (domain.isPersistent() == 1) {
                domain.undefine();
              }
            } catch (LibvirtException e) {
              LOG.debug("Could not destroy a domain on {}", node, e);
            } finally {
              domain.free();
            }
          }
        } finally {
          connect.close();
        }
      } catch (LibvirtException e) {
        LOG.warn("Could not destroy the domains on {}: {}", node, e.getMessage());
      }
    }

    void kill() {
      process.destroyForcibly();
      try {
        if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
          throw new IllegalStateException("libvirtd for " + node + " did not die");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      LOG.info("Killed libvirtd for {}", node);
    }

    void stop() {
      if (process == null) {
        return;
      }
      process.destroy();
      try {
        if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
          LOG.warn("libvirtd for {} did not stop in {}; killing it", node, STOP_TIMEOUT);
          process.destroyForcibly();
          process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      killNamespace();
    }

    /**
     * Kills whatever still runs in the daemon's private mount namespaces (one per start): its QEMU
     * processes.
     */
    private void killNamespace() {
      String own = namespaceOf(ProcessHandle.current().pid()).orElse("");
      List<String> namespaces = mountNamespaces.stream().filter(ns -> !ns.equals(own)).toList();
      if (namespaces.isEmpty()) {
        return;
      }
      List<ProcessHandle> left = new ArrayList<>();
      try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
        for (Path entry : proc) {
          long pid = Long.parseLong(entry.getFileName().toString());
          if (namespaceOf(pid).filter(namespaces::contains).isPresent()) {
            ProcessHandle.of(pid).ifPresent(left::add);
          }
        }
      } catch (IOException e) {
        LOG.warn("Could not scan /proc for processes of {}", node, e);
      }
      for (ProcessHandle handle : left) {
        LOG.warn("Killing {} left in {}'s namespace", handle.info().command().orElse("?"), node);
        handle.destroyForcibly();
      }
      for (ProcessHandle handle : left) {
        try {
          handle.onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
          LOG.warn("Process {} of {} did not exit", handle.pid(), node);
        }
      }
    }

    String logTail() {
      try {
        List<String> lines = Files.readAllLines(log());
        return "\n--- libvirtd "
            + node
            + " ---\n"
            + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
      } catch (IOException e) {
        return "";
      }
    }
  }

  /**
   * Runs a command and returns its output (standard output and error).
   *
   * @throws IllegalStateException if it does not finish within the timeout or exits with an error
   */
  static String run(Duration timeout, List<String> command) {
    String line = String.join(" ", command);
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(line + " did not finish: " + out);
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(line + " exited with " + process.exitValue() + ": " + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + line, e);
    }
  }

  /** Returns a TCP port that is free on 127.0.0.1 now. */
  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Optional<String> namespaceOf(long pid) {
    try {
      return Optional.of(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns/mnt")))
          .map(Path::toString);
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
