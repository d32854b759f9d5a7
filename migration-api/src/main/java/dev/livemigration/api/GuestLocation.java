package dev.livemigration.api;

/**
 * Where a migration's guest runs once the migration ended, as far as anyone can know: the answer a
 * control plane acts on (restart nothing, resume nothing, or call an operator).
 */
public enum GuestLocation {
  /** The guest runs on the source, whole: nothing moved, or the abort took. */
  SOURCE,
  /** The guest runs on the target, whole: the migration succeeded. */
  TARGET,
  /**
   * Nobody can tell, or no host holds the guest's whole state (a broken post-copy, a link lost
   * after the go-ahead without an answer, an engine that stopped while the backend could not be
   * asked): an operator must check both hosts before resuming either side.
   */
  UNKNOWN
}
