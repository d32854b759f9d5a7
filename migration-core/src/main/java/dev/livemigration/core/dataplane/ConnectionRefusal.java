package dev.livemigration.core.dataplane;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * How a {@link TargetAgent} ends a connection it refuses or has answered: the reply first, then a
 * moment of reading what the peer still sends, so that the peer sees the reply and a clean end of
 * stream rather than a reset.
 */
final class ConnectionRefusal {
  private static final Duration LINGER = Duration.ofMillis(300);

  private ConnectionRefusal() {}

  /** Tells the peer why it is refused, then drains and closes the connection. */
  static void refuse(Connection connection, Watchdog watchdog, String reason) {
    try {
      connection.write(Protocol.encodeReply(false, reason));
    } catch (IOException | RuntimeException e) {
      // The peer is gone.
    }
    drainAndClose(connection, watchdog);
  }

  /**
   * Reads what the refused peer still sends, for a moment, so that closing sends the refusal and a
   * clean end of stream rather than a reset.
   */
  static void drainAndClose(Connection connection, Watchdog watchdog) {
    Watchdog.Group linger = watchdog.watch(LINGER, LINGER, reason -> connection.close());
    connection.watchedBy(linger);
    ByteBuffer sink = ByteBuffer.allocate(8 << 10);
    try {
      for (int i = 0; i < 64; i++) {
        sink.clear();
        connection.read(sink, true);
      }
    } catch (IOException e) {
      // The peer closed, or the moment passed.
    } finally {
      linger.cancel();
      connection.close();
    }
  }
}
