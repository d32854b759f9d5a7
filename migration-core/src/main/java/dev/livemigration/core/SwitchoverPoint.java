package dev.livemigration.core;

import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.StallDetector;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides, at the end of each pre-copy pass, whether a backend that switches over by itself pauses
 * the guest now or runs one more pass: it switches at a local minimum of the expected downtime (the
 * rest to send paused over the transfer rate) once that fits the downtime limit. The built-in data
 * plane and the testkit's model backend both use it, so that they keep agreeing; QEMU decides for
 * itself (it switches as soon as its estimate fits).
 *
 * <p>Each pass sends what the guest dirtied during the one before, so the remainders at pass starts
 * fall geometrically while the guest dirties slower than the link: the ratio of this pass end's
 * remainder to the lowest pass start so far (the first pass starts with all memory) is the trend,
 * and the next pass is expected to end at the trend times the remainder. Once the rest fits the
 * limit, the guest is paused:
 *
 * <ul>
 *   <li>at once when nothing is left (an idle guest);
 *   <li>when the rest fell less than the margin (the fall stopped: a plateau, a rise, or no new
 *       low): one more pass would not lower the expected downtime meaningfully;
 *   <li>at the floor: when one more pass is expected to gain less than the margin of the limit, or
 *       less than a millisecond (the resolution of {@code maxDowntimeMs});
 *   <li>when one more pass and the switch after it would outlast the completion budget (counted
 *       from the caller's start), so that the search does not run into the engine's budget.
 * </ul>
 *
 * Otherwise it runs one more pass, and decides again at its end. One more pass takes about the
 * expected downtime (it sends the rest at the transfer rate), so the search costs little; and it
 * can only lose a fitting switch-over if the guest dirties, during that short pass, faster than the
 * link: while the trend falls, it dirties slower. Should the rest rise again above the limit, the
 * engine's stall rule handles it as it does any migration that stopped converging.
 *
 * <p>The margin is 1 %; with KubeVirt's {@code experimental.stallDetector}, its {@code
 * stallMargin}: the stall rule's margin, so that a pass end that earns one more pass (a new low by
 * the margin) also counts as progress to the stall rule. Its {@code searchLocalMinima: false} turns
 * the search off: the guest is paused at the first pass end where the rest fits, as QEMU does. Not
 * thread-safe: one instance per migration, used by the thread that runs its passes.
 */
public final class SwitchoverPoint {
  /** The shortest gain worth one more pass: the resolution of {@code maxDowntimeMs}. */
  public static final Duration MIN_GAIN = Duration.ofMillis(1);

  /** What to do at a pass end. */
  public enum Decision {
    /** The rest does not fit the downtime limit: the next pass runs; the stall rule watches. */
    DOES_NOT_FIT(false, "the rest does not fit the downtime limit"),
    /** Nothing is left to send: switch at once. */
    NOTHING_LEFT(true, "nothing is left to send"),
    /** The rest fits and the search is off ({@code searchLocalMinima: false}): switch. */
    FIRST_FIT(true, "the rest fits the downtime limit (the local-minimum search is off)"),
    /** The rest fits and fell less than the margin: the expected downtime stopped falling. */
    MINIMUM(true, "the rest fits and stopped falling: a local minimum"),
    /** The rest fits and one more pass is expected to gain less than the floor. */
    FLOOR(true, "the rest fits and one more pass would gain less than the floor"),
    /** The rest fits and one more pass and the switch would outlast the completion budget. */
    BUDGET(true, "the rest fits and one more pass would outlast the completion budget"),
    /** The rest fits but is still falling: one more pass. */
    NEXT_PASS(false, "the rest fits but still falls: one more pass");

    private final boolean switches;
    private final String reason;

    Decision(boolean switches, String reason) {
      this.switches = switches;
      this.reason = reason;
    }

    /** Whether the guest is paused and the rest sent now. */
    public boolean switches() {
      return switches;
    }

    /** Says why, in a few words. */
    public String reason() {
      return reason;
    }
  }

  private final boolean search;
  private final double margin;
  private final Optional<Duration> budget;
  private long lowestStart = Long.MAX_VALUE;
  private double trend = Double.NaN;

  private SwitchoverPoint(boolean search, int marginPercent, Optional<Duration> budget) {
    if (marginPercent < 0 || marginPercent > 100) {
      throw new IllegalArgumentException(
          "marginPercent must be between 0 and 100, but was " + marginPercent);
    }
    this.search = search;
    this.margin = marginPercent / 100.0;
    this.budget = Objects.requireNonNull(budget, "budget");
  }

  /**
   * The rule for one migration of {@code bytesToCopy} bytes under this configuration: its stall
   * detector's margin and {@code searchLocalMinima}, and its completion budget.
   */
  public static SwitchoverPoint of(MigrationConfiguration configuration, long bytesToCopy) {
    Optional<StallDetector> detector =
        configuration.experimental().flatMap(ExperimentalMigrationOptions::stallDetector);
    return new SwitchoverPoint(
        detector.map(StallDetector::searchLocalMinima).orElse(true),
        detector.map(StallDetector::stallMargin).orElse(Convergence.DEFAULT_MARGIN_PERCENT),
        Optional.of(configuration.completionTimeoutFor(bytesToCopy)));
  }

  /** Searches a local minimum with a 1 % margin and no completion budget. */
  public static SwitchoverPoint localMinimum() {
    return new SwitchoverPoint(true, Convergence.DEFAULT_MARGIN_PERCENT, Optional.empty());
  }

  /** Switches at the first pass end where the rest fits, as QEMU does. */
  public static SwitchoverPoint firstFit() {
    return new SwitchoverPoint(false, Convergence.DEFAULT_MARGIN_PERCENT, Optional.empty());
  }

  /**
   * Decides at the end of a pre-copy pass.
   *
   * @param passStart the bytes the pass had to send when it started (all memory for the first)
   * @param remaining the bytes to send now: what the guest dirtied during the pass
   * @param bytesPerSecond the transfer rate; not positive: nothing fits but an empty rest
   * @param limit the downtime limit now
   * @param elapsed the time since the migration started, against the completion budget
   * @return what to do; never null
   */
  public Decision atPassEnd(
      long passStart, long remaining, double bytesPerSecond, Duration limit, Duration elapsed) {
    lowestStart = Math.min(lowestStart, passStart);
    trend = lowestStart > 0 ? (double) remaining / lowestStart : 1;
    if (remaining <= 0) {
      return Decision.NOTHING_LEFT;
    }
    if (!(bytesPerSecond > 0)) {
      return Decision.DOES_NOT_FIT;
    }
    double downtimeNanos = remaining / bytesPerSecond * 1e9;
    double limitNanos = limit.toNanos();
    if (downtimeNanos > limitNanos) {
      return Decision.DOES_NOT_FIT;
    }
    if (!search) {
      return Decision.FIRST_FIT;
    }
    if (trend >= 1 - margin) {
      return Decision.MINIMUM;
    }
    double gainNanos = downtimeNanos * (1 - trend);
    if (gainNanos < Math.max(margin * limitNanos, MIN_GAIN.toNanos())) {
      return Decision.FLOOR;
    }
    if (budget.isPresent() && elapsed.toNanos() + 2 * downtimeNanos >= budget.get().toNanos()) {
      return Decision.BUDGET;
    }
    return Decision.NEXT_PASS;
  }

  /**
   * The trend at the last pass end: its remainder over the lowest pass start so far; NaN before the
   * first.
   */
  public double trend() {
    return trend;
  }
}
