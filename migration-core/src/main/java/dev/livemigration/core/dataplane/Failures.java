package dev.livemigration.core.dataplane;

import dev.livemigration.core.dataplane.transport.TlsTransport;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import javax.net.ssl.SSLException;

/** Turns I/O failures into reasons a person can act on. */
final class Failures {
  private Failures() {}

  static String describe(Throwable failure, String where) {
    if (failure instanceof ProtocolException) {
      return failure.getMessage();
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return "TLS failure " + where + ": " + TlsTransport.explain(t);
      }
    }
    String message = String.valueOf(failure.getMessage());
    String lower = message.toLowerCase(java.util.Locale.ROOT);
    if (failure instanceof EOFException) {
      return "the peer closed the connection " + where;
    }
    if (failure instanceof ConnectException) {
      return "could not connect " + where + ": " + message;
    }
    if (failure instanceof SocketTimeoutException) {
      return "timed out " + where + ": " + message;
    }
    if (lower.contains("timeout")) {
      return message + " (" + where + ")";
    }
    if (lower.contains("reset")) {
      return "connection reset by the peer " + where + " (" + message + ")";
    }
    if (lower.contains("broken pipe")) {
      return "connection broken " + where + " (" + message + ")";
    }
    if (failure instanceof ClosedChannelException) {
      // AsynchronousCloseException among them: this side closed it (a watchdog, a break, a close).
      return "the connection was closed " + where;
    }
    return failure.getMessage() == null
        ? "the connection failed " + where
        : "the connection failed " + where + ": " + message;
  }
}
