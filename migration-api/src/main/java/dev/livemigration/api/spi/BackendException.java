package dev.livemigration.api.spi;

/** A backend's failure to do what the engine asked; its message becomes the failure reason. */
public class BackendException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message a person can act on. */
  public BackendException(String message) {
    super(message);
  }

  /** Creates the exception with a message and the underlying cause. */
  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
