package dev.livemigration.core;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.CancelResult;
import dev.livemigration.api.CancelResult.Outcome;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.spi.FencedException;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationStore;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cancels: recorded at once, in the store for any replica and in the state of a migration driven
 * here, never waiting for the backend; the migration's own steps deliver the abort.
 */
final class Cancellations {
  private static final Logger LOG = LoggerFactory.getLogger(Cancellations.class);
  private final DefaultMigrationEngine engine;

  Cancellations(DefaultMigrationEngine engine) {
    this.engine = engine;
  }

  /** Records a cancel and returns at once; the migration's own steps deliver the abort. */
  CancelResult cancel(String uid) {
    MigrationStore store = engine.store;
    TrackedMigration m = engine.driven(uid);
    if (m != null) {
      return cancelDriven(m);
    }
    Optional<MigrationRecord> before = store.find(uid);
    if (before.isEmpty() || before.get().isTerminal()) {
      return ended(before.map(MigrationRecord::state).orElse(null));
    }
    if (before.get().cancelRequested()) {
      return new CancelResult(Outcome.ALREADY_REQUESTED, "a cancel was already requested");
    }
    Optional<MigrationRecord> after = store.requestCancel(uid);
    if (after.isEmpty() || after.get().isTerminal()) {
      return ended(after.map(MigrationRecord::state).orElse(null));
    }
    if (after.get().phase() == MigrationPhase.PENDING) {
      engine.dispatcher.dispatch();
      if (store.find(uid).map(MigrationRecord::isTerminal).orElse(true)) {
        return new CancelResult(
            Outcome.REMOVED_FROM_QUEUE, "the migration left the queue before it started");
      }
    }
    TrackedMigration local = engine.driven(uid);
    if (local != null) {
      return cancelDriven(local);
    }
    return new CancelResult(
        Outcome.ABORT_REQUESTED,
        "the request was recorded; replica "
            + after.get().owner()
            + " that drives the migration aborts it at its next step");
  }

  /**
   * Records a cancel of a migration driven here in its state at once, without the session's lock,
   * and publishes the request under the dispatcher's lock, which the end also takes: the request is
   * published before the end, or not at all once the migration ended.
   */
  CancelResult cancelDriven(TrackedMigration m) {
    synchronized (engine.dispatcher) {
      if (m.isTerminal()) {
        return ended(m.state());
      }
      if (m.cancelRequested && m.state().abortRequested()) {
        return new CancelResult(Outcome.ALREADY_REQUESTED, "a cancel was already requested");
      }
      boolean postCopy = m.state().mode() == MigrationMode.POST_COPY || m.postCopyRequested;
      m.cancelRequested = true;
      try {
        m.update(
            s ->
                postCopy
                    ? s.abortRequested(true)
                        .abortStatus(AbortStatus.FAILED)
                        .failureReason(MigrationDriver.REFUSED_IN_POST_COPY)
                    : s.abortRequested(true).abortStatus(AbortStatus.ABORTING));
      } catch (FencedException e) {
        // Ended meanwhile, or adopted by another replica: the store says which.
        Optional<MigrationRecord> now = engine.store.requestCancel(m.uid());
        if (now.isEmpty() || now.get().isTerminal()) {
          return ended(now.map(MigrationRecord::state).orElse(null));
        }
        return new CancelResult(
            Outcome.ABORT_REQUESTED,
            "the request was recorded; replica "
                + now.get().owner()
                + " that drives the migration now aborts it at its next step");
      }
      engine.driver.endings.publishAbortRequest(m);
      if (postCopy) {
        LOG.warn("Migration {}: abort refused, it is in post-copy", m);
        return new CancelResult(
            Outcome.REFUSED_IN_POST_COPY,
            "the migration is in post-copy: the guest already runs on the target and aborting"
                + " would lose it; the migration goes on");
      }
      return new CancelResult(
          Outcome.ABORT_REQUESTED, "the abort is delivered at the migration's next step");
    }
  }

  private static CancelResult ended(@Nullable MigrationState state) {
    String how = state == null ? "ended" : state.failed() ? "already failed" : "already succeeded";
    return new CancelResult(
        Outcome.ALREADY_ENDED, "the migration has " + how + "; its state was left as it ended");
  }
}
