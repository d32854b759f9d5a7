package dev.livemigration.api;

import java.util.Optional;
import org.immutables.value.Value;

/**
 * KubeVirt's alpha migration tunables ({@code experimental}) of a {@link MigrationPolicy} or of a
 * migration's effective configuration. As in KubeVirt, {@link #stallDetector()} and {@link
 * #downtimeTuning()} exclude each other: the stall detector sets its own downtime schedule.
 */
@Value.Immutable
@ValueStyle
public abstract class ExperimentalMigrationOptions {
  ExperimentalMigrationOptions() {}

  /** Returns an empty builder: no stall detector, no downtime tuning, no compression. */
  public static Builder builder() {
    return new Builder();
  }

  /** The stall detector's settings, if it is asked for. */
  public abstract Optional<StallDetector> stallDetector();

  /** The downtime ramp, if it is asked for. */
  public abstract Optional<DowntimeTuning> downtimeTuning();

  /** How migration data is compressed; empty means {@link MigrationCompression#NONE}. */
  public abstract Optional<MigrationCompression> compression();

  @Value.Check
  void check() {
    if (stallDetector().isPresent() && downtimeTuning().isPresent()) {
      throw new InvalidValueException(
          "stallDetector",
          "must not be given together with downtimeTuning (the stall detector sets its own"
              + " downtime schedule)",
          "set");
    }
  }

  /** Builds an {@link ExperimentalMigrationOptions}. */
  public static final class Builder extends ImmutableExperimentalMigrationOptions.Builder {
    Builder() {}
  }
}
