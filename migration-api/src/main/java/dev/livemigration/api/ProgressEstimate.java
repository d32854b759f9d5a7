package dev.livemigration.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How far a running migration is, for a person: a percentage that never runs backwards, the time it
 * may still take, which does not jump up at pass boundaries, and the pause the next switch-over
 * would take.
 *
 * <p>Both the percentage and the time remaining come from a <em>projected total</em> that only
 * grows: the most bytes any sample so far implied the migration moves in all (what was moved plus
 * what remains plus the passes still to come, estimated from the ratio of the dirty rate to the
 * transfer rate as a geometric series while that ratio is below one). The percentage is the bytes
 * moved against it; it stays below 100 until the migration completes, and a later estimate never
 * lowers it.
 *
 * <p>The time remaining is the bytes still to move against the projected total over the transfer
 * rate smoothed across samples (an exponentially weighted mean). From one estimate to the next it
 * never rises unless the projection had to grow: the projected total grew, because the guest
 * dirtied more than the projected passes hold, or the smoothed rate fell. The remainder jumping up
 * at the start of each pass, which the projection foresaw, does not raise it; while the guest and
 * the link keep their rates, the projected end (now plus the time remaining) stays put and the time
 * remaining counts down with the clock.
 *
 * @param percent 0 to 100
 * @param timeRemaining the bytes still to move against the projected total over the smoothed
 *     transfer rate; empty when nothing moves, when the migration does not converge at the current
 *     rates, or once it ended
 * @param expectedDowntime the pause a switch-over at the end of the current pass would take: the
 *     final pass (what the guest dirties while the current pass sends its remainder; with the guest
 *     paused, the remainder) over the transfer rate; empty when nothing moves, in post-copy or once
 *     the migration ended
 */
public record ProgressEstimate(
    int percent, Optional<Duration> timeRemaining, Optional<Duration> expectedDowntime) {
  /** Validates the percentage. */
  public ProgressEstimate {
    Checks.between("percent", percent, 0, 100);
    Objects.requireNonNull(timeRemaining, "timeRemaining");
    Objects.requireNonNull(expectedDowntime, "expectedDowntime");
  }
}
