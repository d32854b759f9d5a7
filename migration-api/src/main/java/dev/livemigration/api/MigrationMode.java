package dev.livemigration.api;

/** How memory is being moved: before the switch to the target or after it. */
public enum MigrationMode {
  /** The guest runs on the source while memory is copied; it can still be cancelled safely. */
  PRE_COPY,
  /**
   * The guest runs on the target and fetches missing memory from the source; the source no longer
   * holds the whole state, so a cancellation or a broken link can lose the guest.
   */
  POST_COPY
}
