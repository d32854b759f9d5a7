package dev.livemigration.core.dataplane;

import java.io.IOException;

/** A migration of the data plane failed; the message says why, in words a person can act on. */
public final class TransferFailedException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with the failure's reason. */
  public TransferFailedException(String reason) {
    super(reason);
  }

  /** Creates the exception with the failure's reason and cause. */
  public TransferFailedException(String reason, Throwable cause) {
    super(reason, cause);
  }
}
