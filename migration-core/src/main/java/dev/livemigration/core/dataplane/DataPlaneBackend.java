package dev.livemigration.core.dataplane;

import dev.livemigration.api.Condition;
import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.Volume;
import dev.livemigration.api.spi.BackendException;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigratableMemory;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.core.dataplane.transport.Transports;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link HypervisorBackend} that runs the engine's migrations on the built-in data plane, for
 * every VMI whose memory was {@linkplain #register registered}: one {@link TargetAgent} per target
 * node (on the node's migration address, port {@value TargetAgent#DEFAULT_PORT} unless told
 * otherwise) receives into fresh memory; the source is moved by an {@link OutgoingMigration}. After
 * a success the registry holds the target's memory for the VMI.
 *
 * <pre>{@code
 * DataPlaneBackend backend = DataPlaneBackend.builder().tls(tlsTransport).build();
 * backend.register("default", "vmi-fedora", guestMemory);
 * MigrationEngine engine = MigrationEngines.builder().backend(backend).inventory(inventory).build();
 * }</pre>
 *
 * <p>The transport is {@code tcp} when the migration's configuration sets {@code disableTLS}
 * (logged as a warning), {@code tls} otherwise, unless one transport is forced with {@link
 * Builder#transport}. Agents run in this JVM; for a target in another JVM use {@link TargetAgent}
 * and {@link OutgoingMigration} directly.
 *
 * <p>Each migration's switch-over downtime limit starts at {@link
 * MigrationSpec#initialMaxDowntime()} (the configuration's {@code maxDowntimeMs}, or the first step
 * of its {@code experimental.downtimeTuning} ramp) and follows the engine's {@link
 * Directive.SetMaxDowntime} directives from then on; the source switches at the first pass end
 * where the rest fits it and stopped falling ({@link dev.livemigration.core.SwitchoverPoint#of},
 * with the stall detector's {@code stallMargin} and {@code searchLocalMinima} when set, and the
 * completion budget); {@link Directive.PauseGuest} pauses the guest on the source for the final
 * copy (KubeVirt's {@code Paused} mode). With {@code experimental.compression: zstd} the source
 * compresses what it sends (see {@link TransferOptions#compression()}).
 *
 * <p>In post-copy a broken or silent link pauses the migration (mode {@code POST_COPY_PAUSED}, with
 * the reason and the reconnect attempts) while the source reconnects to the same agent, and it
 * resumes where it stopped (one more {@code linkRecoveries}); only when {@link
 * Builder#postCopyRecoveryBudget} runs out does it fail, the guest lost.
 *
 * <p>Samples report what {@link OutgoingMigration} found out at the commit point: COMPLETED when
 * the guest runs on the target (also when only the target's confirmation was lost and the target,
 * asked, confirmed it); FAILED with the source resumed before the go-ahead or when the target
 * proved the guest did not start; FAILED with the source paused and a reason that says an operator
 * must decide when the guest's location is unknown or the target lost pages in post-copy.
 */
public final class DataPlaneBackend implements HypervisorBackend {
  /** The backend's id: {@code data-plane}. */
  public static final String ID = "data-plane";

  /** The reason of the condition for a VMI whose memory is not registered. */
  public static final String REASON_MEMORY_NOT_REGISTERED = "MemoryNotRegistered";

  private static final Logger LOG = LoggerFactory.getLogger(DataPlaneBackend.class);

  private final @Nullable MigrationTransport forced;
  private final MigrationTransport tcp;
  private final @Nullable MigrationTransport tls;
  private final int port;
  private final int blockPort;
  final int channels;
  final Duration ioTimeout;
  final Duration recoveryBudget;
  final TargetMemoryFactory targetMemory;
  final Map<String, MigratableMemory> memories = new ConcurrentHashMap<>();
  private final Map<String, TargetAgent> agents = new HashMap<>();
  private boolean closed;

  private DataPlaneBackend(Builder builder) {
    this.forced = builder.transport;
    this.tcp = builder.tcp != null ? builder.tcp : Transports.byId("tcp");
    this.tls = builder.tls;
    this.port = builder.port;
    this.blockPort =
        builder.blockPort != null
            ? builder.blockPort
            : builder.port == 0 ? 0 : TargetAgent.DEFAULT_BLOCK_PORT;
    this.channels = builder.channels;
    this.ioTimeout = builder.ioTimeout;
    this.recoveryBudget = builder.recoveryBudget;
    this.targetMemory = builder.targetMemory;
  }

  /**
   * Returns a builder with the defaults: port 49152, one channel, 30 s I/O timeout, 2 min post-copy
   * recovery budget.
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String id() {
    return ID;
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  /** Registers the memory of the VMI {@code namespace/name}, replacing any earlier one. */
  public void register(String namespace, String name, MigratableMemory memory) {
    memories.put(key(namespace, name), Objects.requireNonNull(memory, "memory"));
  }

  /**
   * Registers a disk of the VMI {@code namespace/name} that block migration copies: the volume
   * {@code volume} as blocks of the memory's page size. A migration whose method is {@code
   * BlockMigration} needs a disk for every volume that lives on the node.
   */
  public void registerDisk(String namespace, String name, String volume, MigratableMemory disk) {
    memories.put(diskKey(namespace, name, volume), Objects.requireNonNull(disk, "disk"));
  }

  /** Returns the disk the VMI's volume lives on now: after a block migration, the target's. */
  public Optional<MigratableMemory> disk(String namespace, String name, String volume) {
    return Optional.ofNullable(memories.get(diskKey(namespace, name, volume)));
  }

  private static String diskKey(String namespace, String name, String volume) {
    return key(namespace, name) + "#" + volume;
  }

  /** Forgets the memory of a VMI; returns whether one was registered. */
  public boolean unregister(String namespace, String name) {
    return memories.remove(key(namespace, name)) != null;
  }

  /** Returns the memory the VMI runs on now: after a migration, the target's. */
  public Optional<MigratableMemory> memory(String namespace, String name) {
    return Optional.ofNullable(memories.get(key(namespace, name)));
  }

  /** Returns the address of the agent of a node and transport, if one runs. */
  public synchronized Optional<InetSocketAddress> agentAddress(String node, String transportId) {
    TargetAgent agent = agents.get(node + "|" + transportId);
    return agent == null ? Optional.empty() : Optional.of(agent.address());
  }

  @Override
  public Optional<Condition> checkMigratable(VirtualMachineInstance vmi) {
    if (!memories.containsKey(key(vmi.namespace(), vmi.name()))) {
      return Optional.of(
          Condition.notLiveMigratable(
              REASON_MEMORY_NOT_REGISTERED,
              "no memory is registered with the data plane for VMI "
                  + key(vmi.namespace(), vmi.name())));
    }
    return Optional.empty();
  }

  /**
   * Refuses: a migration of the built-in data plane lives in the source process, with the guest's
   * memory, so no other engine can take it over.
   *
   * @throws BackendException always, saying why
   */
  @Override
  public Optional<MigrationSession> resume(MigrationSpec spec, Map<String, String> resumeData) {
    throw new BackendException(
        "the built-in data plane cannot resume a migration whose source process stopped: the"
            + " guest's memory lived in that process, so it is lost unless it had already"
            + " switched to "
            + spec.target().name());
  }

  @Override
  public MigrationSession open(MigrationSpec spec) {
    synchronized (this) {
      if (closed) {
        throw new BackendException("the data-plane backend is closed");
      }
    }
    String vmiKey = key(spec.vmi().namespace(), spec.vmi().name());
    MigratableMemory memory = memories.get(vmiKey);
    if (memory == null) {
      throw new BackendException("no memory is registered with the data plane for VMI " + vmiKey);
    }
    List<String> keys = new ArrayList<>(List.of(vmiKey));
    List<MigratableMemory> parts = new ArrayList<>(List.of(memory));
    if (spec.method() == MigrationMethod.BLOCK_MIGRATION) {
      List<String> missing = new ArrayList<>();
      spec.vmi().volumes().stream()
          .filter(volume -> volume.type().isNodeLocal())
          .sorted(java.util.Comparator.comparing(Volume::name))
          .forEach(
              volume -> {
                String diskKey = diskKey(spec.vmi().namespace(), spec.vmi().name(), volume.name());
                MigratableMemory disk = memories.get(diskKey);
                if (disk == null) {
                  missing.add(volume.name());
                } else if (disk.pageSize() != memory.pageSize()) {
                  missing.add(
                      volume.name()
                          + " (blocks of "
                          + disk.pageSize()
                          + " bytes, but the memory's pages have "
                          + memory.pageSize()
                          + ")");
                } else {
                  keys.add(diskKey);
                  parts.add(disk);
                }
              });
      if (!missing.isEmpty()) {
        throw new BackendException(
            "block migration of VMI "
                + vmiKey
                + " needs a registered disk for each volume on the node; missing or unusable: "
                + String.join(", ", missing));
      }
    }
    return new DataPlaneSession(this, spec, keys, parts, transportFor(spec.configuration()));
  }

  private MigrationTransport transportFor(MigrationConfiguration configuration) {
    if (forced != null) {
      return forced;
    }
    if (configuration.disableTLS()) {
      LOG.warn("TLS is disabled for migrations (disableTLS=true): memory travels in plain text");
      return tcp;
    }
    if (tls != null) {
      return tls;
    }
    try {
      return Transports.byId("tls");
    } catch (IllegalArgumentException e) {
      throw new BackendException("TLS is required but no tls transport is available", e);
    }
  }

  synchronized TargetAgent agent(String node, String address, MigrationTransport transport) {
    if (closed) {
      throw new BackendException("the data-plane backend is closed");
    }
    String agentKey = node + "|" + transport.id();
    TargetAgent agent = agents.get(agentKey);
    if (agent == null) {
      List<InetSocketAddress> binds =
          List.of(new InetSocketAddress(address, port), new InetSocketAddress(address, blockPort));
      try {
        agent = TargetAgent.start(transport, binds, ioTimeout, recoveryBudget);
      } catch (IOException e) {
        throw new BackendException(
            "the target agent of node "
                + node
                + " cannot listen on "
                + transport.id()
                + "://"
                + address
                + " ports "
                + port
                + " and "
                + blockPort
                + ": "
                + e.getMessage(),
            e);
      }
      agents.put(agentKey, agent);
    }
    return agent;
  }

  /** Stops every target agent. Idempotent. */
  @Override
  public void close() {
    List<TargetAgent> running;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      running = new ArrayList<>(agents.values());
      agents.clear();
    }
    running.forEach(TargetAgent::close);
  }

  /** Configures a {@link DataPlaneBackend}. */
  public static final class Builder {
    private @Nullable MigrationTransport transport;
    private @Nullable MigrationTransport tcp;
    private @Nullable MigrationTransport tls;
    private int port = TargetAgent.DEFAULT_PORT;
    private @Nullable Integer blockPort;
    private int channels = 1;
    private Duration ioTimeout = TransferOptions.DEFAULT_IO_TIMEOUT;
    private Duration recoveryBudget = TransferOptions.DEFAULT_POST_COPY_RECOVERY_BUDGET;
    private TargetMemoryFactory targetMemory =
        (spec, pageSize, pageCount) -> PagedMemory.allocate(pageSize, pageCount);

    Builder() {}

    /** Uses this transport for every migration, whatever {@code disableTLS} says (tests: mem). */
    public Builder transport(MigrationTransport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * The transport for migrations with {@code disableTLS}; the {@code tcp} provider by default.
     */
    public Builder tcp(MigrationTransport tcp) {
      this.tcp = Objects.requireNonNull(tcp, "tcp");
      return this;
    }

    /** The transport for migrations over TLS; the {@code tls} provider by default. */
    public Builder tls(MigrationTransport tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /** The port target agents listen on; 0 picks a free port; 49152 unless set. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be between 0 and 65535, but was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * The port target agents receive disks on (block migration); 0 picks a free port; unless set,
     * 49153, or a free port when {@link #port(int)} is 0.
     */
    public Builder blockPort(int blockPort) {
      if (blockPort < 0 || blockPort > 65535) {
        throw new IllegalArgumentException(
            "blockPort must be between 0 and 65535, but was " + blockPort);
      }
      this.blockPort = blockPort;
      return this;
    }

    /** Parallel connections per migration; 1 to 64, 1 unless set. */
    public Builder channels(int channels) {
      if (channels < 1 || channels > Protocol.MAX_CHANNELS) {
        throw new IllegalArgumentException(
            "channels must be between 1 and " + Protocol.MAX_CHANNELS + ", but was " + channels);
      }
      this.channels = channels;
      return this;
    }

    /** How long a silent peer is waited for; positive, 30 s unless set. */
    public Builder ioTimeout(Duration ioTimeout) {
      if (ioTimeout.isNegative() || ioTimeout.isZero()) {
        throw new IllegalArgumentException("ioTimeout must be positive, but was " + ioTimeout);
      }
      this.ioTimeout = ioTimeout;
      return this;
    }

    /**
     * How long, in all, a migration in post-copy whose link broke or went silent keeps reconnecting
     * before it fails and the guest on the target is lost; zero turns recovery off (a broken link
     * fails post-copy at once); {@link TransferOptions#DEFAULT_POST_COPY_RECOVERY_BUDGET} (2 min)
     * unless set. Target agents wait for a resume this long plus twice the I/O timeout.
     */
    public Builder postCopyRecoveryBudget(Duration budget) {
      Objects.requireNonNull(budget, "postCopyRecoveryBudget");
      if (budget.isNegative()) {
        throw new IllegalArgumentException(
            "postCopyRecoveryBudget must be >= 0, but was " + budget);
      }
      this.recoveryBudget = budget;
      return this;
    }

    /** How target memory is made; {@link PagedMemory} unless set. */
    public Builder targetMemory(TargetMemoryFactory targetMemory) {
      this.targetMemory = Objects.requireNonNull(targetMemory, "targetMemory");
      return this;
    }

    /**
     * Builds the backend; agents start on demand.
     *
     * @throws IllegalArgumentException if the memory and block ports are the same fixed port
     */
    public DataPlaneBackend build() {
      if (port != 0 && blockPort != null && port == blockPort) {
        throw new IllegalArgumentException("port and blockPort must differ, but both were " + port);
      }
      return new DataPlaneBackend(this);
    }
  }
}
