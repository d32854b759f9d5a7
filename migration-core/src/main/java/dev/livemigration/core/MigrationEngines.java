package dev.livemigration.core;

import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.api.spi.ClusterInventory;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.PolicySource;
import dev.livemigration.api.spi.TargetSelector;
import dev.livemigration.core.strategy.Strategies;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds {@link MigrationEngine}s.
 *
 * <pre>{@code
 * MigrationEngine engine = MigrationEngines.builder()
 *     .configuration(kubeVirt.migrations())
 *     .migratableBindingPlugins(kubeVirt.migratableBindingPlugins())
 *     .backend(backend)
 *     .inventory(inventory)
 *     .build();
 * MigrationHandle handle = engine.migrate(VirtualMachineInstanceMigration.of("job", "vmi-fedora"));
 * MigrationState state = handle.completion().join();
 * }</pre>
 */
public final class MigrationEngines {
  /** How often a running migration's progress is sampled unless told otherwise: 1 second. */
  public static final Duration DEFAULT_SAMPLE_INTERVAL = Duration.ofSeconds(1);

  /** How long a replica's lease on a shared store lasts unless renewed: 15 seconds. */
  public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(15);

  /** How long {@code close()} waits for migrations and the backend unless told otherwise: 30 s. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private MigrationEngines() {}

  /** Returns a builder; {@code backend} and {@code inventory} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Configures and builds a {@link MigrationEngine}. Not thread-safe; build once. */
  public static final class Builder {
    MigrationConfiguration configuration = MigrationConfiguration.defaults();
    HypervisorBackend backend;
    ClusterInventory inventory;
    PolicySource policies = PolicySource.of(List.of());
    Set<String> migratableBindingPlugins = Set.of();
    MigrationStrategy strategy = Strategies.kubeVirtDefault();
    TargetSelector targetSelector = new LeastLoadedTargetSelector();
    Scheduler scheduler;
    final List<MigrationListener> listeners = new ArrayList<>();
    Duration sampleInterval = DEFAULT_SAMPLE_INTERVAL;
    MigrationStore store;
    String replica = defaultReplicaName();
    Duration leaseDuration = DEFAULT_LEASE_DURATION;
    Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;

    Builder() {}

    /** The cluster configuration; KubeVirt's defaults unless set. */
    public Builder configuration(MigrationConfiguration configuration) {
      this.configuration = Objects.requireNonNull(configuration, "configuration");
      return this;
    }

    /**
     * The network binding plugins the cluster registers with a migration method, by name: those in
     * KubeVirt's {@code spec.configuration.network.binding} with a {@code migration} block, as
     * {@code KubeVirt.migratableBindingPlugins()} reads them. A VMI whose pod-network interface
     * uses another plugin is refused. None unless set; each call replaces the names.
     *
     * @throws InvalidValueException if a name is blank
     */
    public Builder migratableBindingPlugins(Collection<String> names) {
      Objects.requireNonNull(names, "migratableBindingPlugins");
      Set<String> checked = new TreeSet<>();
      for (String name : names) {
        if (name == null || name.isBlank()) {
          throw new InvalidValueException(
              "migratableBindingPlugins",
              "must hold plugin names (the keys of spec.configuration.network.binding), none"
                  + " blank",
              name == null ? "null" : "'" + name + "'");
        }
        checked.add(name);
      }
      this.migratableBindingPlugins = Set.copyOf(checked);
      return this;
    }

    /** The backend that moves guests; required. The engine closes it on {@code close()}. */
    public Builder backend(HypervisorBackend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
      return this;
    }

    /** The cluster's nodes and VMIs; required. */
    public Builder inventory(ClusterInventory inventory) {
      this.inventory = Objects.requireNonNull(inventory, "inventory");
      return this;
    }

    /** Where migration policies come from; none unless set. */
    public Builder policies(PolicySource policies) {
      this.policies = Objects.requireNonNull(policies, "policies");
      return this;
    }

    /** The strategy for every migration; {@link Strategies#kubeVirtDefault()} unless set. */
    public Builder strategy(MigrationStrategy strategy) {
      this.strategy = Objects.requireNonNull(strategy, "strategy");
      return this;
    }

    /** How target nodes are chosen; the least loaded eligible node unless set. */
    public Builder targetSelector(TargetSelector targetSelector) {
      this.targetSelector = Objects.requireNonNull(targetSelector, "targetSelector");
      return this;
    }

    /**
     * The clock and timer; a {@link Scheduler#system(int) system scheduler} owned (and closed) by
     * the engine unless set. A scheduler given here is not closed by the engine.
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** Adds a listener for every migration's events. */
    public Builder listener(MigrationListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** How often running migrations are sampled; positive, 1 second unless set. */
    public Builder sampleInterval(Duration sampleInterval) {
      if (sampleInterval.isNegative() || sampleInterval.isZero()) {
        throw new IllegalArgumentException(
            "sampleInterval must be positive, but was " + sampleInterval);
      }
      this.sampleInterval = sampleInterval;
      return this;
    }

    /**
     * Where migration records, the queue and the limits live. Unless set, the engine keeps them in
     * its own memory ({@code InMemoryMigrationStore}): nothing to set up, and nothing survives the
     * engine. A store given here is shared: several engine replicas (in one JVM or many) on one
     * store share the queue and the limits, each migration is driven by one replica at a time, and
     * a replica that stops has its migrations adopted by another. The engine does not close it.
     */
    public Builder store(MigrationStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * This engine's name among the replicas that share a store: unique, and the same across
     * restarts of one replica (so that a restarted replica's migrations are adopted at once);
     * {@code <host>-<pid>} unless set.
     */
    public Builder replica(String replica) {
      Objects.requireNonNull(replica, "replica");
      if (replica.isBlank() || replica.length() > 200) {
        throw new IllegalArgumentException(
            "replica must be 1 to 200 characters and not blank, but was '" + replica + "'");
      }
      this.replica = replica;
      return this;
    }

    /**
     * How long this replica's lease on a shared store lasts unless renewed; renewed every third of
     * it. A replica that stops is noticed within this time. Positive; 15 seconds unless set.
     */
    public Builder leaseDuration(Duration leaseDuration) {
      this.leaseDuration = positive("leaseDuration", leaseDuration);
      return this;
    }

    /**
     * The bound on {@code close()} with the engine's own scheduler: how long it waits for aborted
     * migrations to end and for the backend to close. Positive; 30 seconds unless set.
     */
    public Builder closeTimeout(Duration closeTimeout) {
      this.closeTimeout = positive("closeTimeout", closeTimeout);
      return this;
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, but was " + value);
      }
      return value;
    }

    private static String defaultReplicaName() {
      // The host name from the environment: a DNS lookup could stall the builder.
      String host = System.getenv().getOrDefault("HOSTNAME", "engine");
      return (host.isBlank() ? "engine" : host) + "-" + ProcessHandle.current().pid();
    }

    /**
     * Builds the engine.
     *
     * @throws IllegalStateException if the backend or the inventory was not set
     */
    public MigrationEngine build() {
      if (backend == null) {
        throw new IllegalStateException("backend is required, but was not set");
      }
      if (inventory == null) {
        throw new IllegalStateException("inventory is required, but was not set");
      }
      return new DefaultMigrationEngine(this);
    }
  }
}
