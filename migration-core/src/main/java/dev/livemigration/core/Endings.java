package dev.livemigration.core;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.FencedException;
import dev.livemigration.api.spi.MigrationSession;
import java.time.Instant;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the migrations this replica drives end: succeeded, failed with where the guest runs, aborted
 * before they started, or lost to another replica. Each end closes the backend session once and is
 * written to the store under the dispatcher's lock; the caller holds the migration's lock.
 */
final class Endings {
  private static final Logger LOG = LoggerFactory.getLogger(Endings.class);

  private final DefaultMigrationEngine engine;

  Endings(DefaultMigrationEngine engine) {
    this.engine = engine;
  }

  /** Publishes the migration's cancel request once; under the dispatcher's lock, before any end. */
  void publishAbortRequest(TrackedMigration m) {
    synchronized (engine.dispatcher) {
      if (!m.abortRequestPublished && !m.isTerminal()) {
        m.abortRequestPublished = true;
        publish(new MigrationEvent.AbortRequested(m.uid(), m.request, now(), replica()));
      }
    }
  }

  void abortQuietly(TrackedMigration m) {
    try {
      if (m.session != null) {
        m.session.abort();
      }
    } catch (RuntimeException e) {
      LOG.debug("Migration {}: abort after a failure failed too", m, e);
    }
  }

  void finishAborted(TrackedMigration m) {
    publishAbortRequest(m);
    finish(
        m,
        s ->
            s.phase(MigrationPhase.FAILED)
                .completed(true)
                .failed(true)
                .abortRequested(true)
                .abortStatus(AbortStatus.SUCCEEDED)
                .guestLocation(GuestLocation.SOURCE)
                .failureReason("cancelled on request"));
  }

  void succeed(TrackedMigration m) {
    // The inventory learns first, so that admission, which reads the VMI's slot before the
    // inventory, never sees the slot free and the VMI still on its old node.
    engine.inventory.onMigrated(m.vmi, m.state().targetNode().orElseThrow());
    boolean refused = m.state().abortStatus().orElse(null) == AbortStatus.FAILED;
    finish(
        m,
        s -> {
          s.phase(MigrationPhase.SUCCEEDED)
              .completed(true)
              .failed(false)
              .guestLocation(GuestLocation.TARGET)
              .targetNodeDomainDetected(true);
          if (refused) {
            s.failureReason(
                "the abort was refused because the guest already ran on the target in"
                    + " post-copy; the migration then succeeded");
          } else if (m.cancelRequested) {
            s.abortRequested(true)
                .abortStatus(AbortStatus.FAILED)
                .failureReason("the migration completed before the abort took effect");
          }
          return s;
        });
  }

  /**
   * Fails the migration with the guest where the backend's last sample says, or where its mode
   * leaves it: on the source in pre-copy, unknown after the switch.
   */
  void fail(TrackedMigration m, String reason) {
    ProgressSample last = m.history.peekLast();
    GuestLocation location =
        last != null && last.guestLocation().isPresent()
            ? last.guestLocation().get()
            : m.state().mode() == MigrationMode.POST_COPY
                ? GuestLocation.UNKNOWN
                : GuestLocation.SOURCE;
    fail(m, reason, location);
  }

  void fail(TrackedMigration m, String reason, GuestLocation location) {
    boolean lostGuest = m.state().mode() == MigrationMode.POST_COPY;
    boolean refused = m.state().abortStatus().orElse(null) == AbortStatus.FAILED;
    String why =
        lostGuest
            ? reason
                + "; the migration failed in post-copy, so neither host holds the guest's whole"
                + " state: the guest is lost"
            : reason;
    if (refused) {
      why =
          "the abort was refused because the guest already ran on the target in post-copy; then "
              + why;
    }
    // The abort took if the backend stopped the job it was asked to stop, or if nothing had
    // started moving yet.
    boolean stopped = m.startedAt == null || reason.equals(m.abortReason);
    String failure = why;
    finish(
        m,
        s -> {
          s.phase(MigrationPhase.FAILED)
              .completed(true)
              .failed(true)
              .failureReason(failure)
              .guestLocation(location);
          if (m.cancelRequested) {
            s.abortRequested(true)
                .abortStatus(
                    stopped && !lostGuest && !refused ? AbortStatus.SUCCEEDED : AbortStatus.FAILED);
          }
          return s;
        });
  }

  /** Fails the migration; a write the store refuses ends this replica's part instead. */
  void failSafely(TrackedMigration m, String reason) {
    try {
      fail(m, reason);
    } catch (FencedException e) {
      lose(m, e);
    }
  }

  void failSafely(TrackedMigration m, String reason, GuestLocation location) {
    try {
      fail(m, reason, location);
    } catch (FencedException e) {
      lose(m, e);
    }
  }

  private void finish(TrackedMigration m, UnaryOperator<MigrationState.Builder> ending) {
    MigrationSession session = m.session;
    if (session != null && m.released.compareAndSet(false, true)) {
      try {
        session.close();
      } catch (RuntimeException e) {
        LOG.warn("Migration {}: closing the backend session failed", m, e);
      }
    }
    MigrationState last = engine.dispatcher.end(m, ending);
    if (last.failed()) {
      LOG.warn("Migration {} failed: {}", m, last.failureReason().orElse(""));
    } else {
      LOG.info("Migration {} succeeded", m);
    }
    engine.scheduler.execute(engine.dispatcher::dispatch);
  }

  /**
   * Stops driving a migration that another replica adopted, once: a pre-copy job whose backend
   * cannot resume it is aborted (the adopter ends it as failed, with the guest on the source); any
   * other is left to the adopter. The caller holds the migration's lock.
   */
  void lose(TrackedMigration m, FencedException e) {
    engine.forget(m);
    if (!m.released.compareAndSet(false, true)) {
      return;
    }
    LOG.warn("Migration {}: no longer driven by this replica: {}", m, e.getMessage());
    MigrationSession session = m.session;
    if (session != null
        && m.record().resumeData().isEmpty()
        && m.state().mode() != MigrationMode.POST_COPY) {
      abortQuietly(m);
      try {
        session.close();
      } catch (RuntimeException closing) {
        LOG.debug("Migration {}: closing a lost session failed", m, closing);
      }
    }
  }

  private Instant now() {
    return engine.scheduler.now();
  }

  private String replica() {
    return engine.membership.replica();
  }

  private void publish(MigrationEvent event) {
    engine.publisher.publish(event);
  }
}
