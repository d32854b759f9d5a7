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
  PAUSED,
  /**
   * Post-copy whose link to the source broke: the guest runs on the target and waits for the pages
   * it lacks, the source keeps every page the target has not confirmed, and the backend reconnects
   * to resume. A failure from here loses the guest, as in post-copy. KubeVirt's manifests have no
   * value of their own for it: they say {@code Paused}.
   */
  POST_COPY_PAUSED;

  /**
   * Whether the guest already runs on the target, so that the source no longer holds its whole
   * state: {@link #POST_COPY} and {@link #POST_COPY_PAUSED}.
   */
  public boolean isPostCopy() {
    return this == POST_COPY || this == POST_COPY_PAUSED;
  }
}
