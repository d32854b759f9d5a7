package dev.livemigration.api;

/** The outcome of a cancellation request, as KubeVirt reports it in {@code abortStatus}. */
public enum AbortStatus {
  /** The abort is under way. */
  ABORTING,
  /** The migration was stopped and the guest keeps running on the source. */
  SUCCEEDED,
  /** The migration could not be stopped (already completed, or in post-copy). */
  FAILED
}
