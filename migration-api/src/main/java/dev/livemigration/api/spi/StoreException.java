package dev.livemigration.api.spi;

/**
 * A {@link MigrationStore} could not do what it was asked: the store is unreachable, or it refused
 * a write. The message says which, in words.
 */
public class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message a person can act on. */
  public StoreException(String message) {
    super(message);
  }

  /** Creates the exception with a message and the underlying cause. */
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
