package dev.livemigration.api.spi;

/**
 * Admission refused because a migration of the VMI was admitted or ended after the caller read the
 * VMI's {@link VmiSlot}: the VMI may have moved, so the caller reads its location again.
 */
public class StaleVmiException extends StoreException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the VMI and both generations. */
  public StaleVmiException(String message) {
    super(message);
  }
}
