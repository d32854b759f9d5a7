package dev.livemigration.api;

/** Where a migration is in its life, in KubeVirt's order; the last two are terminal. */
public enum MigrationPhase {
  /** Admitted and waiting for room under the cluster and node limits. */
  PENDING,
  /** Room was found; a target node is being chosen. */
  SCHEDULING,
  /** A target node was chosen. */
  SCHEDULED,
  /** The target is being prepared to receive the guest. */
  PREPARING_TARGET,
  /** The target is ready to receive the guest. */
  TARGET_READY,
  /**
   * A cross-cluster migration waits for its other half (KubeVirt's {@code WaitingForSync}); read
   * and written back only, as this library does not run cross-cluster migrations.
   */
  WAITING_FOR_SYNC,
  /**
   * The two halves of a cross-cluster migration synchronize (KubeVirt's {@code Synchronizing});
   * read and written back only.
   */
  SYNCHRONIZING,
  /** State is moving from the source to the target. */
  RUNNING,
  /** The guest runs on the target. */
  SUCCEEDED,
  /** The migration ended without moving the guest (or, after post-copy, lost it). */
  FAILED;

  /** Returns true for {@link #SUCCEEDED} and {@link #FAILED}. */
  public boolean isTerminal() {
    return this == SUCCEEDED || this == FAILED;
  }
}
