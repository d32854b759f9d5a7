package dev.livemigration.api;

/** How memory is being moved: before the switch to the target or after it. */
public enum MigrationMode {
  /** The guest runs on the source while memory is copied; it can still be cancelled safely. */
  PRE_COPY,
  /**
   * The guest runs on the target and fetches missing memory from the source; the source no longer
   * holds the whole state, so a cancellation or a broken link can lose the guest.
   */
  POST_COPY,
  /**
   * The guest is paused on the source so that the remaining memory can be copied (KubeVirt's {@code
   * Paused}, when the completion budget ran out, workload disruption is allowed and post-copy is
   * not).
   */
  PAUSED
}
