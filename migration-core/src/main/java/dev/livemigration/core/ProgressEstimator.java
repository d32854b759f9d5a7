package dev.livemigration.core;

import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressEstimate;
import dev.livemigration.api.ProgressSample;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Turns one migration's samples into {@link ProgressEstimate}s whose percentage never runs
 * backwards and whose time remaining does not jump up at pass boundaries. Not thread-safe: used
 * under the migration's monitor.
 *
 * <p>Both come from one projection: the <em>projected total</em>, the most bytes any sample so far
 * implied the migration moves in all (bytes moved plus the remainder plus, while the guest dirties
 * memory, the passes still to come as a geometric series of the dirty-to-transfer ratio, up to the
 * pass that fits the downtime limit, which is sent paused). It only grows. Against it:
 *
 * <ul>
 *   <li>the percentage is the bytes moved over the projected total, kept at its highest and below
 *       100 until the migration completes;
 *   <li>the time remaining is the bytes still to move against the projected total (projected total
 *       less bytes moved) over the <em>smoothed rate</em>, an exponentially weighted mean of the
 *       transfer rates sampled, the newest weighing {@value #SMOOTHING}.
 * </ul>
 *
 * <p>So from one sample to the next the time remaining never rises unless the projection had to
 * grow: the projected total grew (the guest dirtied more than the projected passes hold) or the
 * smoothed rate fell. The remainder jumping up at the start of a pass, which the series foresaw,
 * does not raise it; when the guest and the link keep the rates they had, the projected end (now
 * plus the time remaining) stays where it was and the time remaining counts down with the clock.
 */
final class ProgressEstimator {
  /** Above this ratio of dirty rate to transfer rate the passes still to come are not projected. */
  private static final double CONVERGING = 0.99;

  /** The weight of the newest sample's transfer rate in the smoothed rate. */
  static final double SMOOTHING = 0.25;

  private double projectedTotal;
  private double moved;
  private double smoothedRate = -1;
  private int percent;

  /** The next estimate, projecting passes without end (no downtime limit known). */
  ProgressEstimate next(ProgressSample sample) {
    return next(sample, null);
  }

  /**
   * The next estimate; with a downtime limit the projected passes end at the first one that fits it
   * (sent paused, as the backends switch over), else they go on as a series without end.
   */
  ProgressEstimate next(ProgressSample sample, @Nullable Duration downtimeLimit) {
    double processed = sample.dataProcessed();
    double remaining = sample.dataRemaining();
    double rate = sample.transferRate();
    boolean active = sample.status() == ProgressSample.Status.ACTIVE;
    boolean dirtying = sample.mode() == MigrationMode.PRE_COPY;
    double ratio = rate > 0 ? sample.dirtyRate() / rate : 1;
    boolean converging = !dirtying || ratio < CONVERGING;
    // While the guest dirties memory, each pass leaves `ratio` of the one before: the rest is a
    // geometric series. When it does not converge, the remainder is all that can be said.
    double rest =
        dirtying && converging ? passesLeft(remaining, ratio, rate, downtimeLimit) : remaining;
    moved = Math.max(moved, processed);
    projectedTotal = Math.max(projectedTotal, moved + rest);
    if (active) {
      smoothedRate = smoothedRate < 0 ? rate : smoothedRate + SMOOTHING * (rate - smoothedRate);
    }
    int now =
        sample.status() == ProgressSample.Status.COMPLETED
            ? 100
            : projectedTotal <= 0
                ? 0
                : (int) Math.min(99, Math.floor(100 * moved / projectedTotal));
    percent = Math.max(percent, now);
    Optional<Duration> timeRemaining =
        rate > 0 && smoothedRate > 0 && converging && active
            ? Optional.of(seconds((projectedTotal - moved) / smoothedRate))
            : Optional.empty();
    Optional<Duration> downtime = Optional.empty();
    if (rate > 0 && !sample.mode().isPostCopy() && active) {
      // Pre-copy: what the guest dirties while this pass sends the rest is the final pass.
      double finalPass = dirtying ? Math.min(remaining, ratio * remaining) : remaining;
      downtime = Optional.of(seconds(finalPass / rate));
    }
    return new ProgressEstimate(percent, timeRemaining, downtime);
  }

  /**
   * The bytes of this pass's {@code remaining} and of the passes after it, each {@code ratio} of
   * the one before, up to and including the first that fits {@code limit} at {@code rate} (all of
   * them without a limit).
   */
  private static double passesLeft(
      double remaining, double ratio, double rate, @Nullable Duration limit) {
    if (limit == null || rate <= 0) {
      return remaining / (1 - ratio);
    }
    double fits = rate * limit.toNanos() / 1e9;
    if (remaining <= fits || ratio <= 0) {
      return remaining;
    }
    // The smallest n with remaining * ratio^n <= fits; that pass is the last, sent paused.
    double n = Math.ceil(Math.log(fits / remaining) / Math.log(ratio));
    return remaining * (1 - Math.pow(ratio, n + 1)) / (1 - ratio);
  }

  /** The projected total in bytes: the most any sample so far implied; never shrinks. */
  double projectedTotal() {
    return projectedTotal;
  }

  /** The smoothed transfer rate in bytes per second; negative before the first active sample. */
  double smoothedRate() {
    return smoothedRate;
  }

  private static Duration seconds(double seconds) {
    return Duration.ofNanos((long) Math.min(Long.MAX_VALUE, seconds * 1e9));
  }
}
