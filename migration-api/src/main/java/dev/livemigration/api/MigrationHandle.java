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
   * Asks the migration to stop. A pending migration leaves the queue at once; a running one in
   * pre-copy is aborted and the guest stays on the source; one in post-copy or already finished
   * cannot be stopped, which the state reports as {@link AbortStatus#FAILED}. Idempotent.
   */
  void cancel();
}
