package dev.livemigration.core.dataplane;

import java.io.IOException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source's reader of what the target sends back on channel 0: its answers (each accepted only
 * when the source asked for it, and a verification only when it names the digest the source sent),
 * its page requests in post-copy (bounded: a page is queued once, and a target that asks for more
 * than that breaks the protocol) and its own failure.
 */
final class ReturnPath implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ReturnPath.class);

  /** The most page requests queued at once: 65,536 (or the page count, if smaller). */
  static final int MAX_QUEUED_REQUESTS = 1 << 16;

  /** What the target answered. */
  enum Reply {
    VERIFIED,
    RUNNING,
    SWITCHED,
    LOST
  }

  private final String uid;
  private final Connection connection;
  private final int pageCount;
  private final Consumer<String> onBroken;
  private final BlockingQueue<Reply> replies = new ArrayBlockingQueue<>(4);
  private final BlockingQueue<Integer> requests;
  private final AtomicLongArray asked;
  private final AtomicLong repeated = new AtomicLong();
  private volatile @Nullable Reply permitted;
  private volatile long digestSync = -1;
  private volatile byte @Nullable [] digestSent;
  private volatile boolean serving;
  private volatile boolean over;
  private volatile @Nullable String targetError;
  private volatile @Nullable String lostBecause;
  private volatile boolean violated;

  /**
   * @param onBroken told, once, why the return path broke (the target failed, the link broke, or
   *     the target broke the protocol)
   */
  ReturnPath(String uid, Connection connection, int pageCount, Consumer<String> onBroken) {
    this.uid = uid;
    this.connection = connection;
    this.pageCount = pageCount;
    this.onBroken = onBroken;
    this.requests = new ArrayBlockingQueue<>(Math.min(pageCount, MAX_QUEUED_REQUESTS));
    this.asked = new AtomicLongArray((pageCount + 63) >>> 6);
  }

  /** The target's own reason for failing, if it sent one. */
  @Nullable String targetError() {
    return targetError;
  }

  /** Why the return path broke, if it did (other than the target's own failure). */
  @Nullable String lostBecause() {
    return lostBecause;
  }

  /** Whether the target broke the protocol (or failed and said why): no link fault, then. */
  boolean targetAtFault() {
    return violated || targetError != null;
  }

  /** Records a failure seen elsewhere (a stall) as the reason the link was lost, unless one is. */
  void lost(String reason) {
    if (lostBecause == null) {
      lostBecause = reason;
    }
  }

  /** Allows the answer {@code reply}, which the frame about to be sent asks for. */
  void permit(Reply reply) {
    permitted = reply;
  }

  /** Allows a verification of exactly this digest, which is about to be sent. */
  void permitVerification(long sync, byte[] digest) {
    digestSync = sync;
    digestSent = digest.clone();
    permitted = Reply.VERIFIED;
  }

  /** Accepts page requests from now on (post-copy). */
  void serve() {
    serving = true;
  }

  /** The migration ended: a broken connection is no longer news. */
  void over() {
    over = true;
  }

  /** The next requested page, or -1. */
  int pollRequest() {
    Integer index = requests.poll();
    return index == null ? -1 : index;
  }

  /**
   * Waits for {@code expected}; returns early when {@code giveUp} says so.
   *
   * @throws TransferFailedException if the target failed, the link broke, or no answer came within
   *     {@code timeout}
   */
  void await(Reply expected, String what, Duration timeout, BooleanSupplier giveUp)
      throws TransferFailedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (giveUp.getAsBoolean()) {
        return;
      }
      Reply reply;
      try {
        reply = replies.poll(50, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TransferFailedException("interrupted " + what, e);
      }
      if (reply == expected) {
        return;
      }
      if (reply == Reply.LOST) {
        replies.offer(Reply.LOST);
        String error = targetError;
        String lost = lostBecause;
        throw new TransferFailedException(
            error != null
                ? "the target failed: " + error
                : (lost != null ? lost : "lost the target") + " while " + what);
      }
      if (reply != null) {
        throw new TransferFailedException(
            "protocol error: the target answered " + reply + " while " + what);
      }
      if (System.nanoTime() > deadline) {
        throw new TransferFailedException(
            "read timeout: no answer from the target for "
                + timeout.toMillis()
                + " ms while "
                + what);
      }
    }
  }

  @Override
  public void run() {
    FrameReader reader = new FrameReader(connection, 512, false);
    try {
      while (true) {
        byte type = reader.next();
        switch (type) {
          case Protocol.REQUEST -> {
            reader.require(1 + 4);
            int index = reader.getInt(1);
            reader.seal(1 + 4);
            request(index);
          }
          case Protocol.VERIFIED -> {
            reader.require(1 + Protocol.VERIFIED_BODY);
            long sync = reader.getLong(1);
            byte[] digest = new byte[Protocol.DIGEST_BYTES];
            reader.slice(1 + 8, Protocol.DIGEST_BYTES).get(digest);
            reader.seal(1 + Protocol.VERIFIED_BODY);
            byte[] sent = digestSent;
            if (sent == null || permitted != Reply.VERIFIED) {
              throw new ProtocolException(
                  "protocol error: the target confirmed a verification before the source sent"
                      + " its digest");
            }
            if (sync != digestSync || !MessageDigest.isEqual(sent, digest)) {
              throw new ProtocolException(
                  "protocol error: the target confirmed a digest other than the one the source"
                      + " sent");
            }
            answer(Reply.VERIFIED);
          }
          case Protocol.RUNNING, Protocol.SWITCHED -> {
            reader.seal(1);
            answer(type == Protocol.RUNNING ? Reply.RUNNING : Reply.SWITCHED);
          }
          case Protocol.ERROR -> {
            targetError = reader.text();
            LOG.warn("Migration {}: the target failed: {}", uid, targetError);
            throw new TransferFailedException("the target failed: " + targetError);
          }
          default ->
              throw new ProtocolException(
                  "corrupt frame from the target: unknown type " + Protocol.describeType(type));
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!over) {
        violated = e instanceof ProtocolException;
        if (targetError == null && lostBecause == null) {
          lostBecause =
              e instanceof ProtocolException
                  ? e.getMessage()
                  : Failures.describe(e, "on the return path from the target");
        }
        replies.clear();
        replies.offer(Reply.LOST);
        String error = targetError;
        onBroken.accept(error != null ? "the target failed: " + error : lostBecause);
      }
    }
  }

  private void answer(Reply reply) throws ProtocolException {
    if (permitted != reply) {
      throw new ProtocolException(
          "protocol error: the target answered "
              + reply
              + " before the source asked for it"
              + (permitted == null ? "" : " (it waits for " + permitted + ")"));
    }
    permitted = null;
    if (!replies.offer(reply)) {
      throw new ProtocolException("protocol error: the target answered " + reply + " repeatedly");
    }
  }

  private void request(int index) throws ProtocolException {
    if (index < 0 || index >= pageCount) {
      throw new ProtocolException(
          "corrupt frame from the target: page request for index "
              + index
              + " outside [0, "
              + pageCount
              + ")");
    }
    long bit = 1L << index;
    if (!serving || (asked.getAndUpdate(index >>> 6, v -> v | bit) & bit) != 0) {
      // Before post-copy, or asked already: collapses; a target asks for each page once.
      if (repeated.incrementAndGet() > pageCount) {
        throw new ProtocolException(
            "protocol error: the target sent more than "
                + pageCount
                + " page requests it had no reason to (before post-copy or for pages asked"
                + " already)");
      }
      return;
    }
    if (!requests.offer(index)) {
      throw new ProtocolException(
          "protocol error: the target has more than "
              + requests.size()
              + " page requests outstanding");
    }
  }
}
