package dev.livemigration.core.dataplane;

import java.io.IOException;

/** The peer broke the wire protocol: a corrupt or unexpected frame, or a refused handshake. */
final class ProtocolException extends IOException {
  private static final long serialVersionUID = 1L;

  ProtocolException(String message) {
    super(message);
  }
}
