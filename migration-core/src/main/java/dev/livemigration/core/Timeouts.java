package dev.livemigration.core;

import dev.livemigration.api.Directive;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor turn of a running migration after its sample: an abort that the backend does not
 * confirm, the downtime ramp, the completion budget and the stall rule ({@link Convergence}), then
 * the strategy.
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
        driver.endings.fail(
            m,
            m.abortReason
                + " (the backend did not confirm the abort within "
                + waited
                + "; the job may still run, so where the guest runs is unknown)",
            GuestLocation.UNKNOWN);
      }
      return;
    }
    if (sample.mode() == MigrationMode.POST_COPY_PAUSED) {
      // The backend reconnects within its recovery budget; nothing to steer meanwhile.
      reportInPostCopy(m, sample, now);
      return;
    }
    if (sample.mode() == MigrationMode.POST_COPY) {
      reportInPostCopy(m, sample, now);
    } else if (watch(m, sample, now)) {
      return;
    }
    driver.steerWithStrategy(m, sample);
  }

  /**
   * Watches a migration in pre-copy or paused: steps the downtime ramp, then acts when the
   * completion budget ran out or the migration stalled. Returns true if it aborted.
   */
  private boolean watch(TrackedMigration m, ProgressSample sample, Instant now) {
    Convergence convergence = m.convergence;
    if (sample.mode() == MigrationMode.PAUSED && !m.pausedSeen) {
      m.pausedSeen = true;
      convergence.restart(now);
    }
    convergence.observe(sample, now);
    if (sample.mode() == MigrationMode.PRE_COPY && !m.disruptionRequested()) {
      m.ramp
          .next(sample.iteration(), now)
          .ifPresent(
              limit ->
                  driver.apply(
                      m,
                      new Directive.SetMaxDowntime(limit),
                      "downtime ramp in pass "
                          + sample.iteration()
                          + ", toward maxDowntimeMs "
                          + m.ramp.max().toMillis()));
    }
    Duration elapsed = Duration.between(m.startedAt, now);
    if (elapsed.compareTo(m.completionTimeout) >= 0 && !m.disruptionRequested()) {
      return disrupt(
          m,
          "completion timeout of "
              + m.completionTimeout.toSeconds()
              + " s expired ("
              + m.configuration.completionTimeoutPerGiB().toSeconds()
              + " s per GiB of "
              + m.vmi.bytesToCopy()
              + " bytes to copy)");
    }
    if (convergence.stalled(now)) {
      return onStall(m, sample, now);
    }
    return false;
  }

  /**
   * A stalled migration gets one last chance when its downtime limit is still below the maximum and
   * the least switch-over in view fits the maximum: the limit jumps there, and the backend may
   * switch at the next pass end. Otherwise, and when that pass passed too, it is disrupted as the
   * configuration allows, or aborted. Paused, it is aborted: the guest resumes on the source.
   */
  private boolean onStall(TrackedMigration m, ProgressSample sample, Instant now) {
    if (m.postCopyRequested) {
      return false; // the switch was asked for; the backend reports how it ends
    }
    String why = m.convergence.describe(sample, now);
    if (sample.mode() == MigrationMode.PAUSED) {
      driver.abort(m, why + " while the guest was paused; it runs on the source again", false);
      return true;
    }
    if (m.stallRaisedAt == null
        && m.ramp.belowMax()
        && expectedDowntime(m, sample).compareTo(m.ramp.max()) <= 0) {
      m.stallRaisedAt = now;
      m.stallRaisedIteration = sample.iteration();
      driver.apply(
          m,
          new Directive.SetMaxDowntime(m.ramp.raiseToMax()),
          why + "; the downtime limit goes to maxDowntimeMs so that the next pass end can switch");
      return false;
    }
    if (m.stallRaisedAt != null
        && sample.iteration() <= m.stallRaisedIteration + 1
        && Duration.between(m.stallRaisedAt, now).compareTo(m.convergence.patience()) < 0) {
      return false;
    }
    return disrupt(m, why);
  }

  /** The pause that switching over at the least remainder in view would take. */
  private static Duration expectedDowntime(TrackedMigration m, ProgressSample sample) {
    if (sample.transferRate() <= 0) {
      return ChronoUnit.FOREVER.getDuration();
    }
    return Duration.ofMillis(m.convergence.bestPassStart() * 1000 / sample.transferRate());
  }

  /**
   * Completes the migration at the guest's expense as the configuration allows (post-copy, else a
   * paused guest), or aborts it. Returns true if it aborted.
   */
  private boolean disrupt(TrackedMigration m, String why) {
    MigrationConfiguration configuration = m.configuration;
    if (configuration.allowPostCopy()) {
      if (driver.apply(m, new Directive.SwitchToPostCopy(), why + "; switching to post-copy")) {
        return false;
      }
      driver.abort(m, why + " and the switch to post-copy failed", false);
      return true;
    }
    if (configuration.allowWorkloadDisruption()) {
      if (driver.apply(
          m,
          new Directive.PauseGuest(),
          why + "; pausing the guest so that the migration completes (allowWorkloadDisruption)")) {
        return false;
      }
      driver.abort(m, why + " and the guest could not be paused", false);
      return true;
    }
    driver.abort(m, why + " and post-copy is not allowed, nor workload disruption", false);
    return true;
  }

  /**
   * In post-copy neither timeout aborts: that would lose the guest. The completion timeout is only
   * reported, in the log and as a decision with its figures; the migration waits for the backend to
   * report its end (a backend reports a broken post-copy link as FAILED).
   */
  private void reportInPostCopy(TrackedMigration m, ProgressSample sample, Instant now) {
    Duration elapsed = Duration.between(m.startedAt, now);
    if (!m.postCopyTimeoutReported && elapsed.compareTo(m.completionTimeout) >= 0) {
      m.postCopyTimeoutReported = true;
      LOG.warn(
          "Migration {} is past its completion timeout in post-copy; it cannot be aborted"
              + " without losing the guest, so it goes on",
          m);
      m.recordDecision(
          now,
          "go on in post-copy",
          "completion timeout of "
              + m.completionTimeout.toSeconds()
              + " s expired after "
              + elapsed.toSeconds()
              + " s ("
              + m.configuration.completionTimeoutPerGiB().toSeconds()
              + " s per GiB of "
              + m.vmi.bytesToCopy()
              + " bytes to copy) in "
              + (sample.mode() == MigrationMode.POST_COPY_PAUSED
                  ? "post-copy with the link broken"
                  : "post-copy")
              + ", "
              + Figures.of(sample)
              + "; an abort would lose the guest, which runs on the target");
    }
  }
}
