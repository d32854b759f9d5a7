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
}
