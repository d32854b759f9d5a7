package dev.livemigration.api;

import java.time.Duration;
import org.immutables.value.Value;

/**
 * Raises the allowed switch-over downtime step by step, from {@link #initialMs()} to the
 * configuration's {@link MigrationConfiguration#maxDowntimeMs()}: KubeVirt's alpha {@code
 * experimental.downtimeTuning}. Unset fields keep KubeVirt's defaults.
 */
@Value.Immutable
@ValueStyle
public abstract class DowntimeTuning {
  /** KubeVirt's default for {@link #initialMs()}: 150. */
  public static final long DEFAULT_INITIAL_MS = 150;

  /** KubeVirt's default for {@link #steps()}: 7. */
  public static final int DEFAULT_STEPS = 7;

  /** KubeVirt's default for {@link #startAfterIteration()}: 3. */
  public static final long DEFAULT_START_AFTER_ITERATION = 3;

  /** KubeVirt's default for {@link #cooldown()}: 10 seconds. */
  public static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(10);

  DowntimeTuning() {}

  /** Returns a builder that starts from KubeVirt's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The allowed downtime at the start, in milliseconds ({@code initialMs}); at least 1. */
  @Value.Default
  public long initialMs() {
    return DEFAULT_INITIAL_MS;
  }

  /** How many equal increments lead up to the maximum ({@code steps}); at least 1. */
  @Value.Default
  public int steps() {
    return DEFAULT_STEPS;
  }

  /** The memory pass after which the ramp begins ({@code startAfterIteration}); at least 1. */
  @Value.Default
  public long startAfterIteration() {
    return DEFAULT_START_AFTER_ITERATION;
  }

  /** The least time between two increases ({@code cooldownSeconds}); whole seconds, positive. */
  @Value.Default
  public Duration cooldown() {
    return DEFAULT_COOLDOWN;
  }

  @Value.Check
  void check() {
    Checks.atLeast("initialMs", initialMs(), 1);
    Checks.atLeast("steps", steps(), 1);
    Checks.atLeast("startAfterIteration", startAfterIteration(), 1);
    Checks.positiveWholeSeconds("cooldownSeconds", cooldown());
  }

  /** Builds a {@link DowntimeTuning}; unset fields keep KubeVirt's defaults. */
  public static final class Builder extends ImmutableDowntimeTuning.Builder {
    Builder() {}
  }
}
