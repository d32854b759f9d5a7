package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigrationTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks a target agent, over a new connection, where the guest of a migration runs: what a source
 * does when its link broke at or after the go-ahead (see {@link Verdict}). Tries again until its
 * patience runs out, each attempt bounded by the time left.
 */
final class OutcomeQuery {
  private static final Logger LOG = LoggerFactory.getLogger(OutcomeQuery.class);
  private static final int ANSWER_FIXED = 4 + 2 + 1 + 8 + 8 + 2;
  private static final long RETRY_MILLIS = 200;

  private OutcomeQuery() {}

  /**
   * Returns the agent's verdict.
   *
   * @param patience how long to keep trying in all
   * @throws TransferFailedException if no attempt got an answer within {@code patience}; the
   *     message says what the last attempt met
   */
  static Verdict ask(
      MigrationTransport transport,
      InetSocketAddress target,
      String uid,
      String token,
      Duration patience,
      String name)
      throws TransferFailedException {
    long deadline = System.nanoTime() + patience.toNanos();
    String last = "no attempt was made";
    int attempts = 0;
    try (Watchdog watchdog = new Watchdog(name + "-query")) {
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        attempts++;
        try {
          return once(transport, target, uid, token, Duration.ofNanos(left), watchdog);
        } catch (IOException | RuntimeException e) {
          last = Failures.describe(e, "asking " + transport.id() + "://" + target);
          LOG.debug("Migration {}: outcome query {} failed: {}", uid, attempts, last);
        }
        try {
          TimeUnit.MILLISECONDS.sleep(
              Math.min(RETRY_MILLIS, Math.max(0, (deadline - System.nanoTime()) / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          last = "interrupted";
          break;
        }
      }
    }
    throw new TransferFailedException(
        attempts
            + " attempt(s) in "
            + patience.toMillis()
            + " ms found no answer; the last: "
            + last);
  }

  private static Verdict once(
      MigrationTransport transport,
      InetSocketAddress target,
      String uid,
      String token,
      Duration left,
      Watchdog watchdog)
      throws IOException {
    Connection connection =
        new Connection(
            transport.connect(target, left), "outcome query to " + transport.id() + "://" + target);
    Watchdog.Group group =
        watchdog.watch(left, left, reason -> connection.close("outcome query " + reason));
    connection.watchedBy(group);
    try {
      connection.write(Protocol.encodeQuery(uid, token));
      ByteBuffer fixed = ByteBuffer.allocate(ANSWER_FIXED);
      connection.readFully(fixed, true);
      fixed.flip();
      int magic = fixed.getInt();
      short version = fixed.getShort();
      if (magic != Protocol.QUERY_MAGIC || version != Protocol.VERSION) {
        throw new ProtocolException(
            "the peer at "
                + target
                + " did not answer the outcome query in protocol version "
                + Protocol.VERSION);
      }
      Verdict.Kind kind = Verdict.Kind.of(fixed.get());
      long lost = fixed.getLong();
      long count = fixed.getLong();
      int length = Short.toUnsignedInt(fixed.getShort());
      if (length > Protocol.MAX_STRING || lost < 0 || count < 0 || lost > count) {
        throw new ProtocolException("corrupt outcome answer from " + target);
      }
      ByteBuffer text = ByteBuffer.allocate(length);
      connection.readFully(text, true);
      return new Verdict(kind, lost, count, FrameWriter.decode(text.array()));
    } finally {
      group.cancel();
      connection.close();
    }
  }
}
