package dev.livemigration.api;

import java.time.Duration;
import org.immutables.value.Value;

/**
 * The settings of KubeVirt's alpha stall detector: {@code experimental.stallDetector}. Factors are
 * {@link Quantity} values, as KubeVirt writes them ({@code "0.4"}), so that they are written back
 * as they were read. Unset fields keep KubeVirt's defaults.
 */
@Value.Immutable
@ValueStyle
public abstract class StallDetector {
  /** KubeVirt's default for {@link #stallMargin()}: 4 (percent). */
  public static final int DEFAULT_STALL_MARGIN = 4;

  /** KubeVirt's default for {@link #ewmaAlpha()}: 0.4. */
  public static final Quantity DEFAULT_EWMA_ALPHA = Quantity.parse("0.4");

  /** KubeVirt's default for {@link #stallProgressTimeout()}: 40 seconds. */
  public static final Duration DEFAULT_STALL_PROGRESS_TIMEOUT = Duration.ofSeconds(40);

  /** KubeVirt's default for {@link #switchoverTimeout()}: 60 seconds. */
  public static final Duration DEFAULT_SWITCHOVER_TIMEOUT = Duration.ofSeconds(60);

  /** KubeVirt's default for {@link #precopyPossibleFactor()}: 1.5. */
  public static final Quantity DEFAULT_PRECOPY_POSSIBLE_FACTOR = Quantity.parse("1.5");

  /** KubeVirt's default for {@link #patienceWindowDecayFactor()}: 0.5. */
  public static final Quantity DEFAULT_PATIENCE_WINDOW_DECAY_FACTOR = Quantity.parse("0.5");

  /** KubeVirt's default for {@link #completionTimeoutFactor()}: 2. */
  public static final Quantity DEFAULT_COMPLETION_TIMEOUT_FACTOR = Quantity.parse("2");

  StallDetector() {}

  /** Returns a builder that starts from KubeVirt's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The tolerance, in percent, against the best remainder seen; between 0 and 100. */
  @Value.Default
  public int stallMargin() {
    return DEFAULT_STALL_MARGIN;
  }

  /** The smoothing factor of the bandwidth estimate; above 0, at most 1. */
  @Value.Default
  public Quantity ewmaAlpha() {
    return DEFAULT_EWMA_ALPHA;
  }

  /** The window over which a plateau counts as a stall; whole seconds, not negative. */
  @Value.Default
  public Duration stallProgressTimeout() {
    return DEFAULT_STALL_PROGRESS_TIMEOUT;
  }

  /** How long a switch-over may take once triggered; whole seconds, not negative. */
  @Value.Default
  public Duration switchoverTimeout() {
    return DEFAULT_SWITCHOVER_TIMEOUT;
  }

  /** How far the expected downtime may exceed the maximum and still try; at least 1. */
  @Value.Default
  public Quantity precopyPossibleFactor() {
    return DEFAULT_PRECOPY_POSSIBLE_FACTOR;
  }

  /** How the patience window shrinks after each relaxation; between 0 and 1. */
  @Value.Default
  public Quantity patienceWindowDecayFactor() {
    return DEFAULT_PATIENCE_WINDOW_DECAY_FACTOR;
  }

  /** Whether switch-over waits for a local minimum of the remainder. */
  @Value.Default
  public boolean searchLocalMinima() {
    return true;
  }

  /** The multiple of the completion timeout that bounds a forced switch-over; at least 1. */
  @Value.Default
  public Quantity completionTimeoutFactor() {
    return DEFAULT_COMPLETION_TIMEOUT_FACTOR;
  }

  @Value.Check
  void check() {
    Checks.between("stallMargin", stallMargin(), 0, 100);
    Checks.factor("ewmaAlpha", ewmaAlpha(), "must be above 0 and at most 1", true, "1");
    Checks.wholeSecondsNotNegative("stallProgressTimeout", stallProgressTimeout());
    Checks.wholeSecondsNotNegative("switchoverTimeout", switchoverTimeout());
    Checks.factorAtLeastOne("precopyPossibleFactor", precopyPossibleFactor());
    Checks.factor(
        "patienceWindowDecayFactor",
        patienceWindowDecayFactor(),
        "must be between 0 and 1",
        false,
        "1");
    Checks.factorAtLeastOne("completionTimeoutFactor", completionTimeoutFactor());
  }

  /** Builds a {@link StallDetector}; unset fields keep KubeVirt's defaults. */
  public static final class Builder extends ImmutableStallDetector.Builder {
    Builder() {}
  }
}
