package dev.livemigration.api;

import java.time.Duration;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * One reading of a running migration's progress, as a backend reports it: how much data there is,
 * how much has moved and remains, how fast the guest dirties memory and how fast data moves.
 */
@Value.Immutable
@ValueStyle
public abstract class ProgressSample {
  /** Whether the backend's migration job is still running, or how it ended. */
  public enum Status {
    /** The migration is moving data. */
    ACTIVE,
    /** The guest runs on the target; the migration is done. */
    COMPLETED,
    /** The migration stopped without moving the guest (aborted or broken). */
    FAILED
  }

  ProgressSample() {}

  /** Returns an empty builder; every field has a neutral default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The job's status. */
  @Value.Default
  public Status status() {
    return Status.ACTIVE;
  }

  /** Time since the backend started moving data. */
  @Value.Default
  public Duration elapsed() {
    return Duration.ZERO;
  }

  /** Bytes the migration has to move in all (memory plus disks to copy), as now estimated. */
  @Value.Default
  public long dataTotal() {
    return 0;
  }

  /** Bytes moved so far, including pages sent more than once. */
  @Value.Default
  public long dataProcessed() {
    return 0;
  }

  /** Bytes still to move before the switch (or, in post-copy, before the source is free). */
  @Value.Default
  public long dataRemaining() {
    return 0;
  }

  /** How fast the guest dirties memory, in bytes per second. */
  @Value.Default
  public long dirtyRate() {
    return 0;
  }

  /** How fast data moves, in bytes per second. */
  @Value.Default
  public long transferRate() {
    return 0;
  }

  /** The pre-copy pass, counting from 1 for the first full pass over memory. */
  @Value.Default
  public long iteration() {
    return 0;
  }

  /** Whether the migration is in pre-copy or post-copy. */
  @Value.Default
  public MigrationMode mode() {
    return MigrationMode.PRE_COPY;
  }

  /** The share of CPU time currently taken from the guest (auto-converge), 0 to 99. */
  @Value.Default
  public int throttlePercent() {
    return 0;
  }

  /**
   * In {@link MigrationMode#POST_COPY_PAUSED}: how many times the backend has tried to reconnect
   * since the link broke; 0 otherwise.
   */
  @Value.Default
  public int reconnectAttempts() {
    return 0;
  }

  /** How many times a broken post-copy link was recovered in this migration so far. */
  @Value.Default
  public int linkRecoveries() {
    return 0;
  }

  /** In {@link MigrationMode#POST_COPY_PAUSED}: why the link broke, in words. */
  public abstract Optional<String> linkFailure();

  /** The guest's measured pause at the switch, once it happened. */
  public abstract Optional<Duration> downtime();

  /** Why the job failed, when it did. */
  public abstract Optional<String> failureReason();

  /**
   * Where the guest runs, when a backend that ended the job knows it better than its mode says (the
   * built-in data plane after a link broke at the go-ahead, say); empty otherwise.
   */
  public abstract Optional<GuestLocation> guestLocation();

  @Value.Check
  void check() {
    Checks.atLeast("dataTotal", dataTotal(), 0);
    Checks.atLeast("dataProcessed", dataProcessed(), 0);
    Checks.atLeast("dataRemaining", dataRemaining(), 0);
    Checks.atLeast("dirtyRate", dirtyRate(), 0);
    Checks.atLeast("transferRate", transferRate(), 0);
    Checks.atLeast("iteration", iteration(), 0);
    Checks.atLeast("throttlePercent", throttlePercent(), 0);
    Checks.atLeast("reconnectAttempts", reconnectAttempts(), 0);
    Checks.atLeast("linkRecoveries", linkRecoveries(), 0);
  }

  /** Builds a {@link ProgressSample}. */
  public static final class Builder extends ImmutableProgressSample.Builder {
    Builder() {}
  }
}
