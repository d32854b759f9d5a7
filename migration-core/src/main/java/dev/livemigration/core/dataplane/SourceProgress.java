package dev.livemigration.core.dataplane;

import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * Turns an {@link OutgoingMigration}'s state into progress samples: the transfer rate between two
 * samples, and the link's pauses so that whoever samples sees every break.
 *
 * <p>Thread-safe.
 */
final class SourceProgress {
  private final SourceState state;
  private final PageSender pages;
  private final LongAdder wireBytes;
  private final int pageSize;
  private final int pageCount;
  private final long startNanos;

  // Guarded by this.
  private long lastSampleNanos;
  private long lastSampleBytes;
  private long lastRate;
  // The link recoveries whose pause a sample reported.
  private int recoveriesShown;

  SourceProgress(
      SourceState state,
      PageSender pages,
      LongAdder wireBytes,
      int pageSize,
      int pageCount,
      long startNanos) {
    this.state = state;
    this.pages = pages;
    this.wireBytes = wireBytes;
    this.pageSize = pageSize;
    this.pageCount = pageCount;
    this.startNanos = startNanos;
    this.lastSampleNanos = startNanos;
  }

  /** Returns the migration's progress now. */
  synchronized ProgressSample sample() {
    long now = System.nanoTime();
    long bytes = wireBytes.sum();
    if (now - lastSampleNanos >= 1_000_000) {
      lastRate = (long) ((bytes - lastSampleBytes) * 1e9 / (now - lastSampleNanos));
      lastSampleNanos = now;
      lastSampleBytes = bytes;
    }
    ProgressSample.Status current = state.status;
    ProgressSample.Builder sample =
        ProgressSample.builder()
            .status(current)
            .elapsed(Duration.ofNanos(now - startNanos))
            .dataTotal((long) pageSize * pageCount)
            .dataProcessed(bytes)
            .dataRemaining(
                current == ProgressSample.Status.COMPLETED
                    ? 0
                    : Math.max(0, pages.staleCount()) * pageSize)
            .dirtyRate(state.dirtyRate)
            .transferRate(Math.max(0, lastRate))
            .iteration(pages.iteration())
            .mode(state.mode)
            .throttlePercent(state.throttle);
    showLink(sample, current);
    Duration pause = state.downtime;
    if (pause != null) {
      sample.downtime(pause);
    }
    GuestLocation location = state.location;
    if (location != null && current != ProgressSample.Status.ACTIVE) {
      sample.guestLocation(location);
    }
    String why = state.failure;
    if (why != null && current == ProgressSample.Status.FAILED) {
      sample.failureReason(why);
    }
    return sample.build();
  }

  /**
   * Reports the link: while paused, why and the attempts so far; a pause that began and ended
   * between two samples is reported once afterwards, as the pause it was (with the attempts it
   * took), so that whoever samples sees every break; the next sample counts the recovery.
   */
  private void showLink(ProgressSample.Builder sample, ProgressSample.Status current) {
    int recoveries = state.linkRecoveries;
    String failure = state.linkFailure;
    if (state.mode == MigrationMode.POST_COPY_PAUSED && failure != null) {
      recoveriesShown = recoveries + 1;
      sample
          .linkRecoveries(recoveries)
          .linkFailure(failure)
          .reconnectAttempts(state.reconnectAttempts);
      return;
    }
    String last = state.lastLinkFailure;
    if (recoveries >= recoveriesShown + 1
        && current == ProgressSample.Status.ACTIVE
        && state.mode == MigrationMode.POST_COPY
        && last != null) {
      recoveriesShown = recoveries;
      sample
          .mode(MigrationMode.POST_COPY_PAUSED)
          .linkRecoveries(recoveries - 1)
          .linkFailure(last)
          .reconnectAttempts(Math.max(1, state.lastRecoveryAttempts));
      return;
    }
    recoveriesShown = Math.max(recoveriesShown, recoveries);
    sample.linkRecoveries(recoveries);
  }
}
