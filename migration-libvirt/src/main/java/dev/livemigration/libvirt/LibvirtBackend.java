package dev.livemigration.libvirt;

import dev.livemigration.api.Condition;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.BackendException;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link HypervisorBackend} that migrates real QEMU domains through libvirt: each node of the
 * cluster is a libvirt daemon reached by its URI ({@code qemu+tls://host/system}, {@code
 * qemu+ssh://host/system}, {@code qemu+tcp://host/system}, {@code
 * qemu+unix:///system?socket=/path}), and a VMI is the running domain of the same name.
 *
 * <pre>{@code
 * LibvirtBackend backend = LibvirtBackend.builder()
 *     .host("node-a", "qemu+tls://node-a.example/system")
 *     .host("node-b", "qemu+tls://node-b.example/system")
 *     .build();
 * MigrationEngine engine = MigrationEngines.builder()
 *     .backend(backend)
 *     .inventory(LibvirtInventory.of(backend))
 *     .build();
 * }</pre>
 *
 * <p>One connection per host is opened on first use, reopened (and the call repeated) when a call
 * finds it dead, and closed by {@link #close()} (which the engine calls when it closes); only the
 * blocking migration call runs on a source connection of its own, opened and closed with it. The
 * target endpoint reports the target's address and the daemon's port from its URI (mapped to 0:
 * libvirt's own migration channel); libvirt picks the memory and disk ports during the migration.
 * The engine's effective configuration becomes libvirt migration flags and parameters (see {@code
 * MigrationPlan}): live, peer-to-peer unless {@link Builder#managed()}, TLS unless {@code
 * disableTLS}, auto-converge, post-copy, parallel connections, non-shared disk copy for {@code
 * BlockMigration}, unsafe only with {@code unsafeMigrationOverride}, bandwidth, and the target's
 * (migration network) address as migration URI and listen address. Directives are applied to the
 * running job: {@code SetMaxDowntime} by {@code virDomainMigrateSetMaxDowntime}, {@code
 * SetBandwidth} by {@code virDomainMigrateSetMaxSpeed}, {@code SwitchToPostCopy} by {@code
 * virDomainMigrateStartPostCopy}, {@code Abort} by {@code virDomainAbortJob}; {@code Throttle} is
 * left to QEMU's auto-converge, which libvirt cannot set per call. Every libvirt failure becomes a
 * {@link LibvirtBackendException} with libvirt's message and code; libvirt's own printing of errors
 * to standard error is routed to this module's SLF4J loggers (at debug) instead, for the whole
 * process.
 */
public final class LibvirtBackend implements HypervisorBackend {
  /** The id of this backend: {@code libvirt}. */
  public static final String ID = "libvirt";

  /**
   * How long {@code start()} waits for libvirt's migration job to start moving data unless told
   * otherwise: 60 s.
   */
  public static final Duration DEFAULT_JOB_START_TIMEOUT = Duration.ofSeconds(60);

  /**
   * How long after its link broke a post-copy migration may still be resumed unless told otherwise
   * ({@link Builder#postCopyRecovery}): 2 minutes. When it runs out the migration fails, saying
   * that the guest is lost.
   */
  public static final Duration DEFAULT_POST_COPY_RECOVERY_BUDGET = Duration.ofMinutes(2);

  /** How many resume calls a broken post-copy gets per break unless told otherwise: 20. */
  public static final int DEFAULT_POST_COPY_RECOVERY_ATTEMPTS = 20;

  /** The wait before the first resume call after a break: 500 ms, doubled after each failure. */
  public static final Duration POST_COPY_RECOVERY_INITIAL_BACKOFF = Duration.ofMillis(500);

  /** The longest wait between two resume calls: 8 s. */
  public static final Duration POST_COPY_RECOVERY_MAX_BACKOFF = Duration.ofSeconds(8);

  /** Reason of the {@code LiveMigratable} condition for a domain with a host device. */
  public static final String REASON_HOST_DEVICE = "HostDeviceNotLiveMigratable";

  private static final Logger LOG = LoggerFactory.getLogger(LibvirtBackend.class);

  private final Map<String, HostConnection> hosts;
  private final List<String> nodeOrder;
  private final Settings settings;
  private volatile boolean closed;

  /**
   * What the backend was built with, besides its hosts.
   *
   * @param peerToPeer whether the source daemon connects to the target's itself
   * @param parallelConnections connections to move memory over (multifd); 0 or 1 for one
   * @param jobStartTimeout how long {@code start()} waits for the migration job to move data
   * @param recovery how a post-copy migration whose link broke is resumed
   */
  record Settings(
      boolean peerToPeer,
      int parallelConnections,
      Duration jobStartTimeout,
      PostCopyRecovery.Policy recovery) {}

  private LibvirtBackend(Builder builder) {
    Map<String, HostConnection> connections = new LinkedHashMap<>();
    builder.hosts.forEach((node, uri) -> connections.put(node, new HostConnection(node, uri)));
    this.hosts = Map.copyOf(connections);
    this.nodeOrder = List.copyOf(builder.hosts.keySet());
    this.settings =
        new Settings(
            builder.peerToPeer,
            builder.parallelConnections,
            builder.jobStartTimeout,
            new PostCopyRecovery.Policy(
                builder.recoveryBudget,
                builder.recoveryAttempts,
                builder.recoveryInitialBackoff,
                builder.recoveryMaxBackoff));
    try {
      NativeLibvirt.routeErrorsToLog();
    } catch (BackendException e) {
      LOG.warn("libvirt's C library is not available: {}", e.getMessage());
    }
  }

  /** Returns a builder; at least one {@link Builder#host(String, String) host} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a peer-to-peer backend for these nodes, by name, and their libvirt URIs. */
  public static LibvirtBackend of(Map<String, String> hosts) {
    Builder builder = builder();
    hosts.forEach(builder::host);
    return builder.build();
  }

  @Override
  public String id() {
    return ID;
  }

  /** Returns the node names, in the order they were added. */
  public List<String> nodes() {
    return nodeOrder;
  }

  /** Returns the libvirt URI of a node. */
  public Optional<String> uri(String node) {
    return Optional.ofNullable(hosts.get(node)).map(HostConnection::uri);
  }

  /**
   * Opens a session for one migration: finds the domain on the source node.
   *
   * @throws BackendException if a node is unknown, unreachable, or the domain does not run there
   */
  @Override
  public MigrationSession open(MigrationSpec spec) {
    HostConnection source = host(spec.source().name());
    HostConnection target = host(spec.target().name());
    String name = spec.vmi().name();
    try {
      Domain domain = source.call(connection -> connection.domainLookupByName(name));
      try {
        if (domain.isActive() != 1) {
          throw new BackendException(
              "domain '" + name + "' is not running on " + spec.source().name());
        }
        return new LibvirtSession(spec, source, target, settings, domain);
      } catch (LibvirtException | RuntimeException e) {
        domain.free();
        throw e;
      }
    } catch (LibvirtException e) {
      throw LibvirtBackendException.of(
          "finding domain '" + name + "' on " + spec.source().name(), e);
    }
  }

  /**
   * Takes over a migration whose engine stopped: reconnects to the source and target nodes (this
   * backend's URIs for them), finds the domain (by the UUID in the resume data, else by the VMI's
   * name) and returns a session that reports what became of it. If the source daemon still has a
   * migration job for the domain (a peer-to-peer job goes on after the process that started it
   * died), the session follows that job from its statistics, and aborts and steers it; if the
   * domain runs on the target and is gone from the source, it reports COMPLETED with libvirt's
   * completed-job statistics when the target still has them; if it runs on the source with no job,
   * FAILED (libvirt aborts a managed migration when its client dies); if neither host runs it,
   * FAILED saying that its whereabouts are unknown.
   *
   * @throws BackendException if a node is unknown to this backend or cannot be reached, or the
   *     resume data is not this backend's
   */
  @Override
  public Optional<MigrationSession> resume(MigrationSpec spec, Map<String, String> resumeData) {
    HostConnection source = host(spec.source().name());
    HostConnection target = host(spec.target().name());
    ResumeData data =
        ResumeData.read(
            resumeData,
            new ResumeData(
                spec.vmi().name(),
                "",
                source.node(),
                source.uri(),
                target.node(),
                target.uri(),
                settings.peerToPeer(),
                0,
                null));
    if (!data.sourceNode().equals(source.node()) || !data.targetNode().equals(target.node())) {
      throw new BackendException(
          "cannot resume the migration of domain '"
              + data.domainName()
              + "': its resume data says from "
              + data.sourceNode()
              + " to "
              + data.targetNode()
              + ", but the engine's record says from "
              + source.node()
              + " to "
              + target.node());
    }
    if (!data.sourceUri().equals(source.uri()) || !data.targetUri().equals(target.uri())) {
      LOG.info(
          "Resuming the migration of domain '{}' over {} and {}; it was started over {} and {}",
          data.domainName(),
          source.uri(),
          target.uri(),
          data.sourceUri(),
          data.targetUri());
    }
    ResumedLibvirtSession session = new ResumedLibvirtSession(spec, source, target, data, settings);
    // Reads both hosts once, so that an unreachable one fails the takeover here, with why.
    ProgressSample found = session.sample();
    LOG.info(
        "Resumed the migration of {} ({}, flags {}): {}",
        session.description(),
        data.peerToPeer() ? "peer-to-peer" : "managed",
        data.flags(),
        found.status() == ProgressSample.Status.ACTIVE
            ? "its job runs, " + found.dataRemaining() + " bytes to go"
            : found.status() + " " + found.failureReason().orElse(""));
    return Optional.of(session);
  }

  /**
   * Returns why libvirt cannot migrate the VMI: a passed-through host device ({@code <hostdev>} or
   * an interface of type {@code hostdev}) that QEMU cannot migrate.
   */
  @Override
  public Optional<Condition> checkMigratable(VirtualMachineInstance vmi) {
    List<String> problems = new ArrayList<>();
    for (NetworkInterface nic : vmi.interfaces()) {
      if (nic.binding() == InterfaceBinding.SRIOV) {
        problems.add("interface '" + nic.name() + "' is a passed-through host device");
      }
    }
    if (!problems.isEmpty()) {
      return Optional.of(
          Condition.notLiveMigratable(
              Condition.REASON_INTERFACE_NOT_MIGRATABLE, String.join("; ", problems)));
    }
    HostConnection connection = hosts.get(vmi.nodeName());
    if (connection == null) {
      return Optional.empty();
    }
    try {
      Domain domain = connection.call(c -> c.domainLookupByName(vmi.name()));
      try {
        List<String> devices = DomainXml.parse(domain.getXMLDesc(0)).hostDevices();
        if (!devices.isEmpty()) {
          return Optional.of(
              Condition.notLiveMigratable(
                  REASON_HOST_DEVICE,
                  "domain '"
                      + vmi.name()
                      + "' has passed-through host devices that QEMU cannot migrate: "
                      + String.join(", ", devices)));
        }
      } finally {
        domain.free();
      }
    } catch (LibvirtException | BackendException | IllegalArgumentException e) {
      LOG.debug("Could not read domain {} on {}: {}", vmi.name(), vmi.nodeName(), e.getMessage());
    }
    return Optional.empty();
  }

  /** Returns the connection to a node; package-private for the inventory. */
  HostConnection host(String node) {
    if (closed) {
      throw new BackendException("the libvirt backend is closed");
    }
    HostConnection connection = hosts.get(node);
    if (connection == null) {
      throw new BackendException(
          "node " + node + " has no libvirt URI; the backend knows " + nodeOrder);
    }
    return connection;
  }

  /** Closes every host's connection. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    hosts.values().forEach(HostConnection::close);
  }

  /** Configures and builds a {@link LibvirtBackend}. Not thread-safe; build once. */
  public static final class Builder {
    private final Map<String, String> hosts = new LinkedHashMap<>();
    private boolean peerToPeer = true;
    private int parallelConnections;
    private Duration jobStartTimeout = DEFAULT_JOB_START_TIMEOUT;
    private Duration recoveryBudget = DEFAULT_POST_COPY_RECOVERY_BUDGET;
    private int recoveryAttempts = DEFAULT_POST_COPY_RECOVERY_ATTEMPTS;
    private Duration recoveryInitialBackoff = POST_COPY_RECOVERY_INITIAL_BACKOFF;
    private Duration recoveryMaxBackoff = POST_COPY_RECOVERY_MAX_BACKOFF;

    private Builder() {}

    /**
     * Adds a node and the libvirt URI of its daemon. With peer-to-peer migrations (the default) the
     * source daemon connects to the target's URI itself, so the URI must work from there too.
     */
    public Builder host(String node, String uri) {
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(uri, "uri");
      if (node.isBlank()) {
        throw new IllegalArgumentException("node must not be blank");
      }
      if (uri.isBlank()) {
        throw new IllegalArgumentException("uri of node " + node + " must not be blank");
      }
      if (hosts.putIfAbsent(node, uri) != null) {
        throw new IllegalArgumentException("node must be unique, but " + node + " was added twice");
      }
      return this;
    }

    /**
     * Makes migrations managed (client-driven, {@code virDomainMigrate3}): this process talks to
     * both daemons, instead of the source daemon talking to the target's (peer-to-peer).
     */
    public Builder managed() {
      this.peerToPeer = false;
      return this;
    }

    /**
     * Moves memory over this many connections at once (QEMU's multifd); 0 or 1 for one. Not used
     * for migrations that allow post-copy, which QEMU cannot combine with it.
     */
    public Builder parallelConnections(int connections) {
      if (connections < 0 || connections > 255) {
        throw new IllegalArgumentException(
            "parallelConnections must be between 0 and 255, but was " + connections);
      }
      this.parallelConnections = connections;
      return this;
    }

    /**
     * How long {@code start()} waits for libvirt's job to start moving data (after libvirt's
     * handshake with the target); positive, 60 s unless set.
     */
    public Builder jobStartTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("jobStartTimeout must be positive, but was " + timeout);
      }
      this.jobStartTimeout = timeout;
      return this;
    }

    /**
     * How a post-copy migration whose link broke (QEMU's {@code postcopy-paused}) is resumed with
     * libvirt's post-copy resume ({@code VIR_MIGRATE_POSTCOPY_RESUME}, libvirt 8.5.0 or later):
     * resume calls start within {@code budget} of the break, at most {@code attempts} of them, 500
     * ms after the break and then with a doubling wait of at most 8 s. A break after a recovery
     * gets a budget and attempts of its own. When they run out the migration fails, saying the
     * guest is lost. Defaults: {@link #DEFAULT_POST_COPY_RECOVERY_BUDGET} (2 minutes) and {@link
     * #DEFAULT_POST_COPY_RECOVERY_ATTEMPTS} (20); a zero budget disables the recovery, so that a
     * broken post-copy fails at once, as before.
     */
    public Builder postCopyRecovery(Duration budget, int attempts) {
      if (budget.isNegative()) {
        throw new IllegalArgumentException(
            "the post-copy recovery budget must not be negative, but was " + budget);
      }
      if (attempts < 1) {
        throw new IllegalArgumentException(
            "post-copy recovery attempts must be at least 1, but were " + attempts);
      }
      this.recoveryBudget = budget;
      this.recoveryAttempts = attempts;
      return this;
    }

    /**
     * The waits of {@link #postCopyRecovery}: {@code initial} before the first resume call after a
     * break, doubled after each failed call up to {@code max}. Defaults: {@link
     * #POST_COPY_RECOVERY_INITIAL_BACKOFF} (500 ms) and {@link #POST_COPY_RECOVERY_MAX_BACKOFF} (8
     * s).
     */
    public Builder postCopyRecoveryBackoff(Duration initial, Duration max) {
      if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
        throw new IllegalArgumentException(
            "post-copy recovery back-off must be positive and max at least initial, but was "
                + initial
                + " to "
                + max);
      }
      this.recoveryInitialBackoff = initial;
      this.recoveryMaxBackoff = max;
      return this;
    }

    /**
     * Builds the backend; connections open on first use.
     *
     * @throws IllegalStateException if no host was added
     */
    public LibvirtBackend build() {
      if (hosts.isEmpty()) {
        throw new IllegalStateException("at least one host is required, but none was added");
      }
      return new LibvirtBackend(this);
    }
  }
}
