package dev.livemigration.api;

/** Thrown when the engine refuses a request; {@link #reason()} says why in a stable form. */
public class MigrationRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a request was refused. */
  public enum Reason {
    /** No VMI of that name is known to the cluster inventory. */
    VMI_NOT_FOUND,
    /** The VMI's {@code LiveMigratable} condition is false. */
    NOT_LIVE_MIGRATABLE,
    /** The VMI already has a migration in progress. */
    ALREADY_MIGRATING,
    /** A migration with the same namespace and name is in progress. */
    DUPLICATE_NAME,
    /** The node to drain is not known to the cluster inventory. */
    NODE_NOT_FOUND,
    /** The inventory describes the VMI in a way that cannot be migrated (no memory, say). */
    INVALID_VMI,
    /**
     * The VMI's location could not be read consistently: it kept moving while the request was
     * admitted. Retrying later is safe.
     */
    VMI_MOVING,
    /** The engine was closed. */
    ENGINE_CLOSED
  }

  private final Reason reason;

  /** Creates the exception with a stable reason and a message a person can act on. */
  public MigrationRejectedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** Why the request was refused. */
  public Reason reason() {
    return reason;
  }
}
