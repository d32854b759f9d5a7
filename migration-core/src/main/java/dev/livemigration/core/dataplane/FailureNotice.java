package dev.livemigration.core.dataplane;

import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tells a migration's source why the target failed it, without ever waiting on it for long. */
final class FailureNotice {
  private static final Logger LOG = LoggerFactory.getLogger(IncomingMigration.class);
  private static final Duration TELL_SOURCE_GRACE = Duration.ofSeconds(1);

  private FailureNotice() {}

  /**
   * Sends the source an ERROR frame saying why the migration failed; gives up (closing the
   * connection) after a second.
   */
  static void tell(FrameWriter writer, Watchdog watchdog, String uid, String reason) {
    // Tell the source why, but never wait on it for long.
    Connection control = writer.connection();
    Watchdog.Group grace = watchdog.watch(TELL_SOURCE_GRACE, stall -> control.close(reason));
    control.watchedBy(grace);
    // Counted as blocked while waiting for the writer too: a page request stuck in a write holds
    // it.
    grace.enter(true);
    try {
      synchronized (writer) {
        writer.text(Protocol.ERROR, reason);
        writer.flush();
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Migration {}: could not tell the source why it failed", uid, e);
    } finally {
      grace.exit(true);
      grace.cancel();
    }
  }
}
