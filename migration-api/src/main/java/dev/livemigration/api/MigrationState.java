package dev.livemigration.api;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * A snapshot of one migration's status: KubeVirt's {@code VMI.status.migrationState}, plus the
 * {@link #phase()}, {@link #mode()}, {@link #failureReason()} and effective {@link
 * #migrationPolicyName()} that a library user needs.
 *
 * <p>A successful migration is {@code completed} and not {@code failed}; a cancelled one that was
 * stopped in time has {@code abortRequested}, {@link AbortStatus#SUCCEEDED}, {@code completed} and
 * {@code failed}.
 */
@Value.Immutable
@ValueStyle
public abstract class MigrationState {
  MigrationState() {}

  /** Returns an empty builder; {@code migrationUid} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The unique id of this migration. */
  public abstract String migrationUid();

  /** Where the migration is in its life; derived from the flags when not set. */
  @Value.Default
  public MigrationPhase phase() {
    if (failed()) {
      return MigrationPhase.FAILED;
    }
    return completed() ? MigrationPhase.SUCCEEDED : MigrationPhase.PENDING;
  }

  /** Whether memory is still copied before the switch or already after it. */
  @Value.Default
  public MigrationMode mode() {
    return MigrationMode.PRE_COPY;
  }

  /**
   * Why the migration left pre-copy, in words: what made the engine switch to post-copy or pause
   * the guest (the completion budget ran out, the migration stalled, or the strategy chose it).
   * Empty while in pre-copy. Not part of KubeVirt's {@code migrationState}: manifests leave it out.
   */
  public abstract Optional<String> modeReason();

  /**
   * Where the guest runs once the migration ended: {@link GuestLocation#TARGET} when it succeeded,
   * {@link GuestLocation#SOURCE} when it failed or was cancelled with the guest whole on the
   * source, {@link GuestLocation#UNKNOWN} when that cannot be known and an operator must decide.
   * Empty while the migration runs.
   */
  public abstract Optional<GuestLocation> guestLocation();

  /** When the migration started moving state. */
  public abstract Optional<Instant> startTimestamp();

  /** When the migration ended, successfully or not. */
  public abstract Optional<Instant> endTimestamp();

  /** Whether the migration has ended (successfully, or after an abort). */
  @Value.Default
  public boolean completed() {
    return false;
  }

  /** Whether the migration has failed (including when it was cancelled). */
  @Value.Default
  public boolean failed() {
    return false;
  }

  /** Whether a cancellation was requested. */
  @Value.Default
  public boolean abortRequested() {
    return false;
  }

  /** The outcome of the cancellation, once one was requested. */
  public abstract Optional<AbortStatus> abortStatus();

  /** Why the migration failed, in words a person can act on. */
  public abstract Optional<String> failureReason();

  /** The effective configuration this migration runs with (cluster plus policy). */
  public abstract Optional<MigrationConfiguration> migrationConfig();

  /** The name of the {@link MigrationPolicy} that applied, if any did. */
  public abstract Optional<String> migrationPolicyName();

  /** The node the VMI is migrating from. */
  public abstract Optional<String> sourceNode();

  /** The node the VMI is migrating to. */
  public abstract Optional<String> targetNode();

  /** The address on which the target receives the migration. */
  public abstract Optional<String> targetNodeAddress();

  /** Whether the guest has been seen running on the target. */
  @Value.Default
  public boolean targetNodeDomainDetected() {
    return false;
  }

  /** The name of the process or pod that receives the guest on the target. */
  public abstract Optional<String> targetPod();

  /**
   * Ports the target listens on, mapped to the migration port each forwards to (49152 for memory,
   * 49153 for disks, 0 for the hypervisor's own channel).
   */
  public abstract Map<Integer, Integer> targetDirectMigrationNodePorts();

  /** Which network the migration travels on ({@code migrationNetworkType}). */
  public abstract Optional<MigrationNetworkType> migrationNetworkType();

  /**
   * How far the migration is, while it runs: a percentage that never runs backwards and a time
   * remaining that rises only when the projection must grow (never at a pass boundary the
   * projection foresaw), both against a projected total that only grows, plus the expected pause of
   * the next switch-over (see {@link ProgressEstimate} for the definitions). Not in manifests.
   */
  public abstract Optional<ProgressEstimate> estimate();

  /**
   * The engine's latest decisions about this migration, oldest first, at most {@value
   * Decision#KEPT}: each directive it applied and each timeout or stall it acted on, with the
   * figures. Not part of KubeVirt's {@code migrationState}: manifests leave it out.
   */
  public abstract java.util.List<Decision> decisions();

  /**
   * The latest progress the backend reported; once the migration has ended, its final job
   * statistics (data moved, passes, rates and, where the backend measured it, the downtime). Not
   * part of KubeVirt's {@code migrationState}: manifests leave it out.
   */
  public abstract Optional<ProgressSample> progress();

  @Value.Check
  void check() {
    Checks.notBlank("migrationUid", migrationUid());
    targetDirectMigrationNodePorts()
        .forEach(
            (nodePort, targetPort) -> {
              Checks.port("targetDirectMigrationNodePorts key", nodePort);
              Checks.port("targetDirectMigrationNodePorts[" + nodePort + "]", targetPort);
            });
  }

  /** Builds a {@link MigrationState}. */
  public static final class Builder extends ImmutableMigrationState.Builder {
    Builder() {}
  }
}
