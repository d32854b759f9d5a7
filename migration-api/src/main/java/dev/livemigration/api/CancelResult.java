package dev.livemigration.api;

import java.util.Objects;

/**
 * What a cancel did: {@link MigrationHandle#cancel()} and {@link MigrationEngine#cancel} return it
 * at once, without waiting for the backend; the abort itself shows in the migration's state.
 *
 * @param outcome what happened to the request
 * @param message the same in words, for a person
 */
public record CancelResult(Outcome outcome, String message) {

  /** What happened to a cancel request. */
  public enum Outcome {
    /** The migration was still queued; it left the queue and ended as cancelled. */
    REMOVED_FROM_QUEUE,
    /** The request was recorded; the migration's owner aborts it at its next step. */
    ABORT_REQUESTED,
    /** A cancel had already been requested; nothing more was done. */
    ALREADY_REQUESTED,
    /** The migration is in post-copy: the guest runs on the target, an abort would lose it. */
    REFUSED_IN_POST_COPY,
    /** The migration had already ended; its state was left as it was. */
    ALREADY_ENDED
  }

  /** Checks that no component is null. */
  public CancelResult {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(message, "message");
  }

  /** Whether the migration will stop (or already stopped) because of this request. */
  public boolean accepted() {
    return outcome == Outcome.REMOVED_FROM_QUEUE
        || outcome == Outcome.ABORT_REQUESTED
        || outcome == Outcome.ALREADY_REQUESTED;
  }
}
