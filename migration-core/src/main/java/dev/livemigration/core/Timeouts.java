package dev.livemigration.core;

import dev.livemigration.api.Directive;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor turn of a running migration after its sample: an abort that the backend does not
 * confirm, the completion and progress timeouts, then the strategy.
 */
final class Timeouts {
  private static final Logger LOG = LoggerFactory.getLogger(Timeouts.class);
  private final MigrationDriver driver;

  Timeouts(MigrationDriver driver) {
    this.driver = driver;
  }

  void steer(TrackedMigration m, ProgressSample sample) {
    Instant now = driver.now();
    if (m.abortSentAt != null) {
      Duration waited = Duration.between(m.abortSentAt, now);
      if (waited.compareTo(m.configuration.progressTimeout()) >= 0) {
        driver.fail(
            m,
            m.abortReason
                + " (the backend did not confirm the abort within "
                + waited
                + "; the job may still run, so where the guest runs is unknown)",
            GuestLocation.UNKNOWN);
      }
      return;
    }
    // Progress is a new low-water mark of the data remaining: remaining data rises and falls
    // from pass to pass while the guest dirties memory, and only a new minimum shows that the
    // migration got closer to its end. Completed passes do not count: a guest that never
    // converges completes passes forever.
    if (sample.dataRemaining() < m.lowWater) {
      m.lowWater = sample.dataRemaining();
      m.lastProgressAt = now;
    }
    if (sample.mode() == MigrationMode.POST_COPY) {
      reportInPostCopy(m, now);
    } else if (enforce(m, now)) {
      return;
    }
    driver.steerWithStrategy(m, sample);
  }

  /** Aborts or switches to post-copy when a timeout expired; returns true if it aborted. */
  private boolean enforce(TrackedMigration m, Instant now) {
    Duration elapsed = Duration.between(m.startedAt, now);
    if (elapsed.compareTo(m.completionTimeout) >= 0 && !m.postCopyRequested) {
      String expired =
          "completion timeout of "
              + m.completionTimeout.toSeconds()
              + " s expired ("
              + m.configuration.completionTimeoutPerGiB().toSeconds()
              + " s per GiB of "
              + m.vmi.bytesToCopy()
              + " bytes to copy)";
      if (m.configuration.allowPostCopy()) {
        driver.apply(m, new Directive.SwitchToPostCopy(), expired + "; switching to post-copy");
        return false;
      }
      driver.abort(m, expired + " and post-copy is not allowed", false);
      return true;
    }
    Duration stalled = Duration.between(m.lastProgressAt, now);
    if (stalled.compareTo(m.configuration.progressTimeout()) >= 0) {
      driver.abort(
          m,
          "progress timeout: data remaining has not fallen below "
              + m.lowWater
              + " bytes for "
              + stalled.toSeconds()
              + " s (progressTimeout "
              + m.configuration.progressTimeout().toSeconds()
              + " s)",
          false);
      return true;
    }
    return false;
  }

  /**
   * In post-copy neither timeout aborts: that would lose the guest. The completion timeout is only
   * reported; the migration waits for the backend to report its end (a backend reports a broken
   * post-copy link as FAILED).
   */
  private void reportInPostCopy(TrackedMigration m, Instant now) {
    if (!m.postCopyTimeoutReported
        && Duration.between(m.startedAt, now).compareTo(m.completionTimeout) >= 0) {
      m.postCopyTimeoutReported = true;
      LOG.warn(
          "Migration {} is past its completion timeout in post-copy; it cannot be aborted"
              + " without losing the guest, so it goes on",
          m);
    }
  }
}
