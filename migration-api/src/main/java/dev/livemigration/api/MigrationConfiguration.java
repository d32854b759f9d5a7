package dev.livemigration.api;

import java.math.BigInteger;
import java.time.Duration;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * Cluster-wide migration settings: KubeVirt's {@code spec.configuration.migrations}.
 *
 * <p>Every field has KubeVirt's documented default, available as a public constant, so {@link
 * #defaults()} behaves like a cluster whose KubeVirt CR sets nothing. Instances are immutable;
 * derive a changed copy with {@code builder().from(base)}.
 *
 * <pre>{@code
 * MigrationConfiguration config = MigrationConfiguration.builder()
 *     .parallelMigrationsPerCluster(10)
 *     .bandwidthPerMigration(Quantity.parse("128Mi"))
 *     .allowPostCopy(true)
 *     .build();
 * }</pre>
 */
@Value.Immutable
@ValueStyle
public abstract class MigrationConfiguration {
  /** KubeVirt's default for {@link #parallelMigrationsPerCluster()}: 5. */
  public static final int DEFAULT_PARALLEL_MIGRATIONS_PER_CLUSTER = 5;

  /** KubeVirt's default for {@link #parallelOutboundMigrationsPerNode()}: 2. */
  public static final int DEFAULT_PARALLEL_OUTBOUND_MIGRATIONS_PER_NODE = 2;

  /** KubeVirt's default for {@link #bandwidthPerMigration()}: 64Mi per second. */
  public static final Quantity DEFAULT_BANDWIDTH_PER_MIGRATION = Quantity.ofMebibytes(64);

  /** KubeVirt's default for {@link #completionTimeoutPerGiB()}: 800 seconds. */
  public static final Duration DEFAULT_COMPLETION_TIMEOUT_PER_GIB = Duration.ofSeconds(800);

  /** KubeVirt's default for {@link #progressTimeout()}: 150 seconds. */
  public static final Duration DEFAULT_PROGRESS_TIMEOUT = Duration.ofSeconds(150);

  /** KubeVirt's default for {@link #nodeDrainTaintKey()}: {@code kubevirt.io/drain}. */
  public static final String DEFAULT_NODE_DRAIN_TAINT_KEY = "kubevirt.io/drain";

  /** KubeVirt's default for {@link #maxDowntimeMs()}: 900 milliseconds. */
  public static final long DEFAULT_MAX_DOWNTIME_MS = 900;

  /** The largest {@link #maxDowntimeMs()} KubeVirt accepts: 2000000 milliseconds. */
  public static final long MAX_DOWNTIME_MS_LIMIT = 2_000_000;

  private static final MigrationConfiguration DEFAULTS = builder().build();
  private static final BigInteger BYTES_PER_GIB = BigInteger.ONE.shiftLeft(30);

  MigrationConfiguration() {}

  /** Returns the configuration of a cluster that sets nothing: all of KubeVirt's defaults. */
  public static MigrationConfiguration defaults() {
    return DEFAULTS;
  }

  /** Returns a builder that starts from KubeVirt's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** How many migrations may run at once in the whole cluster; at least 1. */
  @Value.Default
  public int parallelMigrationsPerCluster() {
    return DEFAULT_PARALLEL_MIGRATIONS_PER_CLUSTER;
  }

  /** How many migrations may leave one source node at once; at least 1. */
  @Value.Default
  public int parallelOutboundMigrationsPerNode() {
    return DEFAULT_PARALLEL_OUTBOUND_MIGRATIONS_PER_NODE;
  }

  /** The bandwidth limit of each migration, in bytes per second; {@code 0} means unlimited. */
  @Value.Default
  public Quantity bandwidthPerMigration() {
    return DEFAULT_BANDWIDTH_PER_MIGRATION;
  }

  /**
   * How long a migration may take per GiB of data to copy (memory plus disks that are not shared)
   * before it is aborted or switched to post-copy; whole seconds, positive.
   */
  @Value.Default
  public Duration completionTimeoutPerGiB() {
    return DEFAULT_COMPLETION_TIMEOUT_PER_GIB;
  }

  /** How long a migration may go without progress before it is aborted; whole seconds. */
  @Value.Default
  public Duration progressTimeout() {
    return DEFAULT_PROGRESS_TIMEOUT;
  }

  /** Whether migrations travel in plain text instead of over mutually authenticated TLS. */
  @Value.Default
  public boolean disableTLS() {
    return false;
  }

  /** The node taint key that asks for a node to be drained of its migratable VMIs. */
  @Value.Default
  public String nodeDrainTaintKey() {
    return DEFAULT_NODE_DRAIN_TAINT_KEY;
  }

  /** Whether a migration that does not converge may throttle the guest's CPU. */
  @Value.Default
  public boolean allowAutoConverge() {
    return false;
  }

  /** Whether a migration may switch to post-copy (the guest then runs on the target). */
  @Value.Default
  public boolean allowPostCopy() {
    return false;
  }

  /** Whether migrations the hypervisor deems unsafe (for example, disk cache modes) may run. */
  @Value.Default
  public boolean unsafeMigrationOverride() {
    return false;
  }

  /**
   * The longest the guest may be paused at the switch-over, in milliseconds; between 1 and {@value
   * #MAX_DOWNTIME_MS_LIMIT}: backends start at it (or at a ramp's {@code initialMs}) and switch
   * over once the rest fits.
   */
  @Value.Default
  public long maxDowntimeMs() {
    return DEFAULT_MAX_DOWNTIME_MS;
  }

  /**
   * Whether a migration whose completion budget runs out, or that stalled, may pause the guest on
   * the source so that it completes (KubeVirt's {@code Paused} mode) when post-copy is not allowed,
   * instead of being aborted.
   */
  @Value.Default
  public boolean allowWorkloadDisruption() {
    return false;
  }

  /**
   * KubeVirt's alpha tunables, as a migration's effective configuration carries them from its
   * policy ({@code status.migrationState.migrationConfiguration.experimental}): the downtime ramp,
   * the stall detector's margin and patience, and zstd compression are obeyed; the stall detector's
   * other settings are read and kept.
   */
  public abstract Optional<ExperimentalMigrationOptions> experimental();

  /** The name of a dedicated migration network; empty to use the nodes' primary network. */
  public abstract Optional<String> network();

  /**
   * Returns the completion timeout for a migration that copies {@code bytesToCopy} bytes: {@link
   * #completionTimeoutPerGiB()} times the size in GiB (8 GiB at 800 s per GiB gives 6400 s).
   *
   * @throws IllegalArgumentException if {@code bytesToCopy} is negative
   */
  public Duration completionTimeoutFor(long bytesToCopy) {
    Checks.atLeast("bytesToCopy", bytesToCopy, 0);
    BigInteger nanos =
        BigInteger.valueOf(completionTimeoutPerGiB().getSeconds())
            .multiply(BigInteger.valueOf(1_000_000_000L))
            .multiply(BigInteger.valueOf(bytesToCopy))
            .divide(BYTES_PER_GIB);
    return Duration.ofNanos(nanos.min(BigInteger.valueOf(Long.MAX_VALUE)).longValueExact());
  }

  @Value.Check
  void check() {
    Checks.atLeast("parallelMigrationsPerCluster", parallelMigrationsPerCluster(), 1);
    Checks.atLeast("parallelOutboundMigrationsPerNode", parallelOutboundMigrationsPerNode(), 1);
    Checks.positiveWholeSeconds("completionTimeoutPerGiB", completionTimeoutPerGiB());
    Checks.positiveWholeSeconds("progressTimeout", progressTimeout());
    Checks.notBlank("nodeDrainTaintKey", nodeDrainTaintKey());
    Checks.wholeBytes("bandwidthPerMigration", bandwidthPerMigration());
    network().ifPresent(name -> Checks.objectName("network", name));
    Checks.between("maxDowntimeMs", maxDowntimeMs(), 1, MAX_DOWNTIME_MS_LIMIT);
  }

  /** Builds a {@link MigrationConfiguration}; unset fields keep KubeVirt's defaults. */
  public static final class Builder extends ImmutableMigrationConfiguration.Builder {
    Builder() {}
  }
}
