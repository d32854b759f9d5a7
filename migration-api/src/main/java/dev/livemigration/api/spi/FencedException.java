package dev.livemigration.api.spi;

/**
 * A write refused because the writer no longer owns the migration (its lease expired and another
 * replica adopted it) or wrote from a stale version. The writer must stop driving the migration.
 */
public class FencedException extends StoreException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that says which migration and why. */
  public FencedException(String message) {
    super(message);
  }

  /** The write of {@code next} came from someone other than the owner of {@code current}. */
  public static FencedException notOwner(
      MigrationRecord current, ReplicaLease lease, MigrationRecord next) {
    return new FencedException(
        "migration "
            + current.key()
            + " is driven by "
            + current.owner()
            + " (token "
            + current.fencingToken()
            + "), not by "
            + lease.replica()
            + " (token "
            + next.fencingToken()
            + ")");
  }

  /** The write of {@code next} was based on a version older than {@code current}'s. */
  public static FencedException staleVersion(MigrationRecord current, MigrationRecord next) {
    return new FencedException(
        "migration "
            + current.key()
            + " changed since version "
            + next.version()
            + " (now "
            + current.version()
            + ")");
  }

  /** A write to a migration that already ended, which never changes again. */
  public static FencedException ended(MigrationRecord current) {
    return new FencedException("migration " + current.key() + " already ended");
  }
}
