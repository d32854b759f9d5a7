package dev.livemigration.core;

import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressEstimate;
import dev.livemigration.api.ProgressSample;
import java.time.Duration;
import java.util.Optional;

/**
 * Turns one migration's samples into {@link ProgressEstimate}s whose percentage never runs
 * backwards. Not thread-safe: used under the migration's monitor.
 */
final class ProgressEstimator {
  /** Above this ratio of dirty rate to transfer rate the passes still to come are not projected. */
  private static final double CONVERGING = 0.99;

  private double projectedTotal;
  private int percent;

  ProgressEstimate next(ProgressSample sample) {
    double processed = sample.dataProcessed();
    double remaining = sample.dataRemaining();
    double rate = sample.transferRate();
    boolean dirtying = sample.mode() == MigrationMode.PRE_COPY;
    double ratio = rate > 0 ? sample.dirtyRate() / rate : 1;
    boolean converging = !dirtying || ratio < CONVERGING;
    // While the guest dirties memory, each pass leaves `ratio` of the one before: the rest is a
    // geometric series. When it does not converge, the remainder is all that can be said.
    double rest = dirtying && converging ? remaining / (1 - ratio) : remaining;
    projectedTotal = Math.max(projectedTotal, processed + rest);
    int now =
        sample.status() == ProgressSample.Status.COMPLETED
            ? 100
            : projectedTotal <= 0
                ? 0
                : (int) Math.min(99, Math.floor(100 * processed / projectedTotal));
    percent = Math.max(percent, now);
    Optional<Duration> timeRemaining =
        rate > 0 && converging && sample.status() == ProgressSample.Status.ACTIVE
            ? Optional.of(seconds(rest / rate))
            : Optional.empty();
    Optional<Duration> downtime = Optional.empty();
    if (rate > 0
        && !sample.mode().isPostCopy()
        && sample.status() == ProgressSample.Status.ACTIVE) {
      // Pre-copy: what the guest dirties while this pass sends the rest is the final pass.
      double finalPass = dirtying ? Math.min(remaining, ratio * remaining) : remaining;
      downtime = Optional.of(seconds(finalPass / rate));
    }
    return new ProgressEstimate(percent, timeRemaining, downtime);
  }

  private static Duration seconds(double seconds) {
    return Duration.ofNanos((long) Math.min(Long.MAX_VALUE, seconds * 1e9));
  }
}
