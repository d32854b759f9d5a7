package dev.livemigration.core;

import dev.livemigration.api.DowntimeTuning;
import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.MigrationConfiguration;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The allowed switch-over downtime of one migration over time: KubeVirt's {@code
 * experimental.downtimeTuning}. The backend starts at the ramp's {@code initialMs} (see {@link
 * dev.livemigration.api.spi.MigrationSpec#initialMaxDowntime()}); once pass {@code
 * startAfterIteration} is over, each {@code cooldownSeconds} the limit rises by one of {@code
 * steps} equal increments until it reaches {@code maxDowntimeMs}. Without a ramp the limit is
 * {@code maxDowntimeMs} from the start. Not thread-safe: used under the migration's monitor.
 */
final class DowntimeRamp {
  private final long maxMillis;
  private final Optional<DowntimeTuning> tuning;
  private final long stepMillis;
  private long currentMillis;
  private Instant lastStepAt;

  DowntimeRamp(MigrationConfiguration configuration) {
    this.maxMillis = configuration.maxDowntimeMs();
    this.tuning =
        configuration.experimental().flatMap(ExperimentalMigrationOptions::downtimeTuning);
    this.currentMillis = tuning.map(t -> Math.min(t.initialMs(), maxMillis)).orElse(maxMillis);
    this.stepMillis =
        tuning.map(t -> Math.max(1, ceilDiv(maxMillis - currentMillis, t.steps()))).orElse(0L);
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  /** The limit the backend was last given. */
  Duration current() {
    return Duration.ofMillis(currentMillis);
  }

  /** The configuration's {@code maxDowntimeMs}: where the ramp ends. */
  Duration max() {
    return Duration.ofMillis(maxMillis);
  }

  /** Whether the limit is below its maximum. */
  boolean belowMax() {
    return currentMillis < maxMillis;
  }

  /**
   * Returns the next limit, if one is due at {@code now} in pass {@code iteration}: after the
   * ramp's start pass and a cooldown after the previous step.
   */
  Optional<Duration> next(long iteration, Instant now) {
    if (tuning.isEmpty() || !belowMax() || iteration <= tuning.get().startAfterIteration()) {
      return Optional.empty();
    }
    if (lastStepAt != null
        && Duration.between(lastStepAt, now).compareTo(tuning.get().cooldown()) < 0) {
      return Optional.empty();
    }
    lastStepAt = now;
    currentMillis = Math.min(maxMillis, currentMillis + stepMillis);
    return Optional.of(current());
  }

  /** Jumps to the maximum at once, as a stalled migration's last chance to switch over. */
  Duration raiseToMax() {
    currentMillis = maxMillis;
    return current();
  }
}
