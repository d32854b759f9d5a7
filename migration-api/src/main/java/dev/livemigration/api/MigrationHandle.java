package dev.livemigration.api;

import java.util.concurrent.CompletableFuture;

/** One migration the engine admitted: its identity, its current state, its end, its cancel. */
public interface MigrationHandle {

  /** The migration's unique id (also {@link MigrationState#migrationUid()}). */
  String uid();

  /** The request that started the migration. */
  VirtualMachineInstanceMigration request();

  /** Returns a snapshot of the migration's state now; never null. */
  MigrationState state();

  /**
   * Completes with the final state when the migration succeeds or fails (including after a
   * cancellation); it never completes exceptionally and never hangs past the migration's timeouts.
   * Cancelling the returned future does not cancel the migration: use {@link #cancel()}.
   */
  CompletableFuture<MigrationState> completion();

  /**
   * Asks the migration to stop, and returns at once with what the request did; it never waits for
   * the backend. A pending migration leaves the queue at once; a running one in pre-copy is aborted
   * at its next step and the guest stays on the source; one in post-copy cannot be stopped (the
   * state reports {@link AbortStatus#FAILED}); a finished one is left as it ended. Idempotent.
   */
  CancelResult cancel();
}
