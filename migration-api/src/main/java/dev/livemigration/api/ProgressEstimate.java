package dev.livemigration.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How far a running migration is, for a person: a percentage that never runs backwards, the time it
 * may still take, and the pause the next switch-over would take.
 *
 * <p>The percentage is the bytes moved against a projected total that only grows: what was moved
 * plus what remains plus the passes still to come, estimated from the ratio of the dirty rate to
 * the transfer rate (a geometric series while that ratio is below one). It stays below 100 until
 * the migration completes, and a later estimate never lowers it.
 *
 * @param percent 0 to 100
 * @param timeRemaining the projected rest over the current transfer rate; empty when nothing moves
 *     or the migration does not converge at the current rates
 * @param expectedDowntime the data remaining over the transfer rate: the pause a switch-over now
 *     would take; empty when nothing moves
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
