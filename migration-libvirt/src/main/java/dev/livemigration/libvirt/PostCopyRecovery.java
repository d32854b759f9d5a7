package dev.livemigration.libvirt;

import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.BackendException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.libvirt.Domain;
import org.libvirt.DomainJobStats;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a post-copy migration whose link broke alive: libvirt (8.5 and later) leaves the source
 * paused with reason {@code VIR_DOMAIN_PAUSED_POSTCOPY_FAILED} (QEMU's {@code postcopy-paused}),
 * the target running with {@code VIR_DOMAIN_RUNNING_POSTCOPY_FAILED} and waiting for the pages it
 * lacks, and keeps the migration job; the migration call that ran it fails ({@code operation
 * failed: job 'migration in' failed in post-copy phase}). {@link #recover} then calls libvirt again
 * with the same flags and parameters plus {@code VIR_MIGRATE_POSTCOPY_RESUME}, with back-off, until
 * a call completes the migration, or the attempts or the budget of the break run out (the guest is
 * then lost: neither host holds its whole state).
 *
 * <p>A resume call reconnects within a second on a working link and then blocks until the migration
 * completes, like the first call. If the link breaks again during it, the call fails the same way:
 * when the migration had moved on meanwhile (the source was seen back in post-copy, or its job's
 * processed bytes grew), that counts as a recovery followed by a new break, with a budget and
 * attempts of its own; otherwise as one more failed attempt of the same break.
 *
 * <p>{@link #decorate} turns the job's samples into what the engine expects: mode {@code
 * POST_COPY_PAUSED} with the attempts since the break and the reason while paused, and the count of
 * recoveries always. A resume call reconnects in well under a second, often between two samples: if
 * no paused sample showed a recovered break's last attempt, the next active sample is one more
 * paused one that shows it (with the recoveries before it), so that each attempt is seen once.
 * Thread-safe: {@link #recover} runs on the thread of the migration call, the others on the
 * engine's.
 */
final class PostCopyRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(PostCopyRecovery.class);

  /** How often a migration that QEMU goes on with after a failed resume call is checked. */
  static final Duration RUNNING_POLL = Duration.ofSeconds(1);

  /**
   * How the backend resumes a broken post-copy.
   *
   * @param budget how long after a break attempts may start; zero disables the recovery
   * @param maxAttempts attempts per break
   * @param initialBackoff the wait before the first attempt, doubled after each failed one
   * @param maxBackoff the longest wait between two attempts
   */
  record Policy(Duration budget, int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    /** Whether broken post-copy migrations are resumed at all. */
    boolean enabled() {
      return !budget.isZero() && maxAttempts > 0;
    }
  }

  /** One blocking resume call ({@code VIR_MIGRATE_POSTCOPY_RESUME}); returns once migrated. */
  interface ResumeCall {
    void run() throws LibvirtException;
  }

  private final String description;
  private final HostConnection source;
  private final HostConnection target;
  private final String uuid;
  private final Policy policy;
  private final GuestWhereabouts whereabouts;
  private final Object lock = new Object();

  // Guarded by lock.
  private int breaks;
  private int recovered;
  private int attempts;
  private int totalAttempts;
  private @Nullable String linkFailure;
  private boolean stopped;
  private boolean checkNow;
  private boolean breakNoted;
  // The attempts of the last recovered break, and the most a paused sample showed of them.
  private int recoveredAfter;
  private int attemptsShown;

  PostCopyRecovery(
      String description,
      HostConnection source,
      HostConnection target,
      String uuid,
      Policy policy) {
    this.description = description;
    this.source = source;
    this.target = target;
    this.uuid = uuid;
    this.policy = policy;
    this.whereabouts = new GuestWhereabouts(description, source, target, uuid);
  }

  /** Whether a break waits for its recovery now. */
  boolean paused() {
    synchronized (lock) {
      return breaks > recovered;
    }
  }

  /** How many breaks there were so far. */
  int breaks() {
    synchronized (lock) {
      return breaks;
    }
  }

  /** How many resume calls were made so far, over all breaks. */
  int totalAttempts() {
    synchronized (lock) {
      return totalAttempts;
    }
  }

  /** How many breaks were recovered so far. */
  int recoveries() {
    synchronized (lock) {
      return recovered;
    }
  }

  /**
   * Takes note of the source's state, read after {@link #breaks()} returned {@code breaksBefore}:
   * back in post-copy ({@code VIR_DOMAIN_PAUSED_POSTCOPY}) after that break means that a resume
   * call reconnected.
   */
  void observe(int breaksBefore, NativeLibvirt.State sourceState) {
    if (sourceState.state() == NativeLibvirt.STATE_PAUSED
        && sourceState.reason() == NativeLibvirt.PAUSED_POSTCOPY) {
      synchronized (lock) {
        if (breaks == breaksBefore && breaks > recovered) {
          markRecovered("the source is back in post-copy");
        }
      }
    }
  }

  /** Reads the source's state and {@link #observe observes} it, if a break waits for recovery. */
  void observeSource() {
    int before = breaks();
    if (!paused()) {
      return;
    }
    try {
      observe(before, NativeLibvirt.state(source.nativePointer(), uuid));
    } catch (BackendException e) {
      LOG.debug("Could not read the state of {}: {}", description, e.getMessage());
    }
  }

  /** Returns the sample with the mode, attempts, reason and recoveries of the link. */
  ProgressSample decorate(ProgressSample sample) {
    synchronized (lock) {
      if (breaks == 0) {
        return sample;
      }
      ProgressSample.Builder builder =
          ProgressSample.builder().from(sample).linkRecoveries(recovered);
      String failure = linkFailure == null ? "the post-copy link broke" : linkFailure;
      if (breaks > recovered) {
        attemptsShown = Math.max(attemptsShown, attempts);
        builder
            .mode(MigrationMode.POST_COPY_PAUSED)
            .reconnectAttempts(attempts)
            .linkFailure(failure);
      } else if (sample.status() == ProgressSample.Status.ACTIVE
          && recoveredAfter > attemptsShown) {
        // The break was recovered before a sample showed its last attempt: show it now, once.
        attemptsShown = recoveredAfter;
        builder
            .mode(MigrationMode.POST_COPY_PAUSED)
            .reconnectAttempts(recoveredAfter)
            .linkFailure(failure)
            .linkRecoveries(recovered - 1);
      } else {
        builder.reconnectAttempts(0).linkFailure(java.util.Optional.empty());
        if (sample.mode() == MigrationMode.POST_COPY_PAUSED) {
          builder.mode(MigrationMode.POST_COPY);
        }
      }
      return builder.build();
    }
  }

  /**
   * Takes note of a break found paused before {@link #recover} runs on another thread, so that
   * samples say {@code POST_COPY_PAUSED} at once; that {@code recover} call then takes it as its
   * break.
   */
  void breakFound(String why) {
    startBreak(why);
    synchronized (lock) {
      breakNoted = true;
    }
  }

  /** Makes {@link #recover} check now whether the migration completed, instead of waiting. */
  void wake() {
    synchronized (lock) {
      checkNow = true;
      lock.notifyAll();
    }
  }

  /** Stops {@link #recover} from starting more attempts (an attempt under way goes on). */
  void stop() {
    synchronized (lock) {
      stopped = true;
      lock.notifyAll();
    }
  }

  /** Whether the migration completed on the target: see {@link GuestWhereabouts}. */
  boolean completedOnTarget() {
    return whereabouts.completedOnTarget();
  }

  /** Whether the source holds the paused side of a broken post-copy now. */
  boolean sourceBroken() {
    return whereabouts.sourceBroken();
  }

  /**
   * Resumes the broken migration: waits, calls {@code resume}, again with a longer wait after each
   * failed call, until one returns (the migration completed; this returns) or this break's budget
   * or attempts run out or {@link #stop()} was called (throws, saying the guest is lost).
   *
   * @param why why the link broke, in words
   * @throws BackendException when the migration could not be resumed
   */
  void recover(String why, ResumeCall resume) {
    long processedAtBreak = processed();
    boolean noted;
    synchronized (lock) {
      noted = breakNoted;
      breakNoted = false;
    }
    if (!noted) {
      startBreak(why);
    }
    long deadline = System.nanoTime() + policy.budget().toNanos();
    Duration backoff = policy.initialBackoff();
    String last = why;
    // QEMU migrates although libvirt's resume call failed: poll, without counting attempts.
    boolean running = false;
    long runningProcessed = -1;
    long runningSince = 0;
    while (true) {
      int attempt = 0;
      if (running) {
        synchronized (lock) {
          long waitUntil = System.nanoTime() + RUNNING_POLL.toNanos();
          while (!stopped && !checkNow && waitUntil - System.nanoTime() > 0) {
            try {
              lock.wait(Math.max(1, (waitUntil - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              stopped = true;
            }
          }
          checkNow = false;
          if (stopped) {
            throw new BackendException(
                "the session of "
                    + description
                    + " was closed while QEMU went on with its post-copy migration (libvirt's"
                    + " resume call had failed); an engine that adopts it follows it");
          }
        }
      } else {
        synchronized (lock) {
          if (!policy.enabled()) {
            throw lost(why, "post-copy recovery is disabled (postCopyRecoveryBudget zero)");
          }
          if (attempts >= policy.maxAttempts()) {
            throw lost(
                why, "no resume succeeded in " + attempts + " attempts (last: " + last + ")");
          }
          long waitUntil = System.nanoTime() + backoff.toNanos();
          if (waitUntil - deadline > 0) {
            throw lost(
                why,
                "no resume succeeded within the recovery budget of "
                    + policy.budget().toSeconds()
                    + " s ("
                    + attempts
                    + " attempts, last: "
                    + last
                    + ")");
          }
          while (!stopped && !checkNow && waitUntil - System.nanoTime() > 0) {
            try {
              long nanos = waitUntil - System.nanoTime();
              lock.wait(Math.max(1, nanos / 1_000_000));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              stopped = true;
            }
          }
          checkNow = false;
          if (stopped) {
            throw lost(
                why,
                "the session was closed while reconnecting; the migration stays paused, and an"
                    + " engine that adopts it resumes it");
          }
        }
      }
      if (completedOnTarget()) {
        synchronized (lock) {
          markRecovered("the migration completed on the target meanwhile");
        }
        return;
      }
      if (running) {
        LOG.debug("Asking libvirt again to resume the post-copy migration of {}", description);
      } else {
        synchronized (lock) {
          attempt = ++attempts;
          totalAttempts++;
        }
        LOG.info("Resuming the post-copy migration of {}: attempt {}", description, attempt);
      }
      try {
        resume.run();
        synchronized (lock) {
          markRecovered("the resume call completed the migration");
        }
        return;
      } catch (LibvirtException e) {
        String message = LibvirtBackendException.of("resuming", e).getMessage();
        last = message;
        if (completedOnTarget()) {
          LOG.info(
              "The resume call for {} failed ({}), but the migration completed on the target",
              description,
              message);
          synchronized (lock) {
            markRecovered("the migration completed on the target although the resume call failed");
          }
          return;
        }
        String gone = whereabouts.targetGone();
        if (gone != null) {
          // A break inside QEMU 7.2's recovery handshake crashed the target's QEMU: it held the
          // guest's CPUs and devices, no resume can succeed (before, the calls went on failing,
          // `QEMU reports migration is still running`, for the whole budget).
          throw lost(
              why,
              "the guest's QEMU on the target is gone ("
                  + gone
                  + "; last resume call: "
                  + message
                  + "), so no resume can succeed");
        }
        LibvirtBackendException error = LibvirtBackendException.of("resuming", e);
        if (error.errorCode() == LibvirtBackendException.OPERATION_INVALID
            && message.contains("still running")) {
          // libvirt's job failed (its state still says paused), but QEMU migrates: the link is
          // back. Calls fail like this until QEMU is done or pauses again.
          // QEMU stuck in its recovery handshake says the same, and moves no data: that is not
          // followed for longer than the budget.
          long processed = processed();
          long now = System.nanoTime();
          if (!running || processed > runningProcessed) {
            runningProcessed = processed;
            runningSince = now;
          } else if (now - runningSince > policy.budget().toNanos()) {
            throw lost(
                why,
                "QEMU reports the migration still running but it moved no data for "
                    + policy.budget().toSeconds()
                    + " s (last: "
                    + message
                    + ")");
          }
          if (!running) {
            LOG.info("libvirt reports that QEMU is still migrating {}; following it", description);
          }
          if (processed > processedAtBreak) {
            synchronized (lock) {
              markRecovered("QEMU went on with the migration although libvirt's call failed");
            }
          }
          running = true;
          continue;
        }
        running = false;
        if (!sourceBroken()) {
          throw new BackendException(
              "resuming the post-copy migration of "
                  + description
                  + " failed and left the source in another state than paused after post-copy: "
                  + message
                  + "; the guest may be lost, it needs an operator",
              e);
        }
        if (error.errorCode() == LibvirtBackendException.NO_DOMAIN) {
          // libvirt 9.0 on the target stops the incoming QEMU if the link breaks before it marked
          // the guest as running there in post-copy; no resume call can succeed then.
          throw lost(
              why,
              "no resume can succeed, the domain is gone ("
                  + message
                  + "; libvirt on the target stops the incoming domain when the link breaks before"
                  + " the guest started there)");
        }
        long processed = processed();
        boolean movedOn;
        synchronized (lock) {
          movedOn = recovered == breaks || processed > processedAtBreak;
          if (movedOn) {
            markRecovered("the migration moved on before it broke again");
          }
        }
        if (movedOn) {
          why = brokeWhy(e);
          startBreak(why);
          processedAtBreak = processed;
          deadline = System.nanoTime() + policy.budget().toNanos();
          backoff = policy.initialBackoff();
        } else {
          LOG.warn(
              "Attempt {} to resume the post-copy migration of {} failed: {}",
              attempt,
              description,
              message);
          long doubled = Math.min(backoff.toNanos() * 2, policy.maxBackoff().toNanos());
          backoff = Duration.ofNanos(doubled);
        }
      }
    }
  }

  /** Why a migration call failed, in words, for a broken link. */
  static String brokeWhy(LibvirtException e) {
    String message = e.getError() == null ? e.getMessage() : e.getError().getMessage();
    return "the migration connection broke in post-copy: " + message;
  }

  private void startBreak(String why) {
    synchronized (lock) {
      breaks++;
      attempts = 0;
      attemptsShown = 0;
      recoveredAfter = 0;
      linkFailure = why;
    }
    LOG.warn(
        "The post-copy migration of {} is paused: {}; resuming it (budget {} s, {} attempts)",
        description,
        why,
        policy.budget().toSeconds(),
        policy.maxAttempts());
  }

  /** Caller holds the lock. */
  private void markRecovered(String how) {
    if (breaks > recovered) {
      recovered = breaks;
      recoveredAfter = attempts;
      LOG.info(
          "The post-copy migration of {} resumed after {} attempt(s): {}",
          description,
          attempts,
          how);
    }
  }

  private BackendException lost(String why, String what) {
    return new BackendException(
        "post-copy of "
            + description
            + " lost its link ("
            + why
            + ") and "
            + what
            + ": the guest is lost, neither host holds its whole state (the source keeps the pages"
            + " the target lacks, paused); it needs an operator");
  }

  /** The source job's processed bytes, or -1 if they cannot be read. */
  private long processed() {
    try {
      Domain domain = source.call(connection -> connection.domainLookupByUUIDString(uuid));
      try {
        DomainJobStats stats = domain.getJobStats(0);
        return JobStats.of(stats.type, stats.stats).get("data_processed");
      } finally {
        domain.free();
      }
    } catch (LibvirtException | BackendException e) {
      LOG.debug("Could not read the job of {}: {}", description, e.getMessage());
      return -1;
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
