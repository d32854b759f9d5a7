package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.ReceivingMemory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One migration a {@link TargetAgent} expects or receives: its uid, the one-time token the source
 * must present, and the memory it fills.
 *
 * <p>{@link #completion()} completes with the memory once the guest runs on the target (after the
 * integrity check in pre-copy; at the end of the transfer in post-copy), or exceptionally with a
 * {@link TransferFailedException} saying why; after a failure in pre-copy the partial memory is
 * discarded ({@link ReceivingMemory#discardAll()}).
 */
public final class IncomingMigration {
  private static final Logger LOG = LoggerFactory.getLogger(IncomingMigration.class);
  private static final Duration TELL_SOURCE_GRACE = Duration.ofSeconds(1);

  private enum State {
    EXPECTED,
    RECEIVING,
    POST_COPY,
    VERIFIED,
    RUNNING,
    FAILED
  }

  private final TargetAgent agent;
  private final String uid;
  private final String token;
  private final int pageSize;
  private final int pageCount;
  private final Duration ioTimeout;
  private final CompletableFuture<ReceivingMemory> completion = new CompletableFuture<>();
  private final Object syncs = new Object();

  // Guarded by this.
  private State state = State.EXPECTED;
  private int channels;
  private Connection @Nullable [] connections;
  private int attached;
  private long @Nullable [] syncSeen;
  private final ReceivingMemory memory;
  private int @Nullable [] receivedCrc;
  private @Nullable FrameWriter back;
  private Watchdog.@Nullable Group group;
  private @Nullable AtomicLongArray requested;

  IncomingMigration(
      TargetAgent agent,
      String uid,
      String token,
      int pageSize,
      int pageCount,
      ReceivingMemory memory,
      Duration ioTimeout) {
    this.agent = agent;
    this.uid = uid;
    this.token = token;
    this.pageSize = pageSize;
    this.pageCount = pageCount;
    this.memory = memory;
    this.ioTimeout = ioTimeout;
  }

  /** The migration's uid. */
  public String uid() {
    return uid;
  }

  /** The one-time token the source must present; give it only to the migration's source. */
  public String token() {
    return token;
  }

  /** The address of the agent that expects the migration. */
  public java.net.InetSocketAddress address() {
    return agent.address();
  }

  /** Every address of the agent that expects the migration (memory port first). */
  public java.util.List<java.net.InetSocketAddress> addresses() {
    return agent.addresses();
  }

  /** Completes with the received memory when the guest runs here, or with the failure. */
  public CompletableFuture<ReceivingMemory> completion() {
    return completion.copy();
  }

  /**
   * Withdraws the expectation, or fails the migration being received (discarding the partial memory
   * in pre-copy). Does nothing once the guest runs here. Idempotent.
   */
  public void cancel() {
    fail("the migration was cancelled on the target");
  }

  // ---------------------------------------------------------------- the handshake

  /** Checks a channel's handshake and attaches it; returns why it is refused, or null. */
  synchronized @Nullable String attach(Protocol.Hello hello, Connection connection) {
    if (state != State.EXPECTED && state != State.RECEIVING) {
      return "migration " + uid + " is no longer expected here (" + state + ")";
    }
    if (!MessageDigest.isEqual(
        hello.token().getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
      return "the token for migration " + uid + " does not match";
    }
    if (hello.pageSize() != pageSize || hello.pageCount() != pageCount) {
      return "memory of "
          + hello.pageCount()
          + " pages of "
          + hello.pageSize()
          + " bytes was offered, but "
          + pageCount
          + " pages of "
          + pageSize
          + " bytes are expected";
    }
    if (connections == null) {
      channels = hello.channels();
      connections = new Connection[channels];
      syncSeen = new long[channels];
    } else if (hello.channels() != channels) {
      return "channel count " + hello.channels() + " differs from the first channel's " + channels;
    }
    if (connections[hello.channel()] != null) {
      return "channel " + hello.channel() + " is already connected";
    }
    if (receivedCrc == null) {
      receivedCrc = new int[pageCount];
      group = agent.watchdog().watch(ioTimeout, stall -> agent.execute(() -> fail(stall)));
      state = State.RECEIVING;
      agent.activate(this);
      LOG.info("Receiving migration {} in {} channel(s)", uid, channels);
    }
    connection.watchedBy(group);
    connections[hello.channel()] = connection;
    if (hello.channel() == 0) {
      back =
          new FrameWriter(
              connection,
              PagedMemory.MIN_PAGE_SIZE,
              new TokenBucket(0),
              () -> false,
              new java.util.concurrent.atomic.LongAdder());
    }
    attached++;
    if (attached == channels) {
      agent.consumed(this);
    }
    return null;
  }

  // ---------------------------------------------------------------- receiving

  /** Reads one channel's frames until it ends; runs on the channel's own thread. */
  void receive(int channel, Connection connection) {
    ReceivingMemory target;
    int[] crcs;
    synchronized (this) {
      target = memory;
      crcs = receivedCrc;
      if (target == null || crcs == null || state == State.FAILED) {
        connection.close();
        return;
      }
    }
    FrameReader reader = new FrameReader(connection, pageSize, true);
    ByteBuffer zeros = ByteBuffer.allocateDirect(pageSize);
    int zeroCrc = Protocol.zeroPageCrc(pageSize);
    try {
      while (true) {
        byte type = reader.next();
        switch (type) {
          case Protocol.PAGE -> {
            reader.require(Protocol.PAGE_HEADER);
            int index = reader.getInt(1);
            byte kind = reader.getByte(5);
            if (index < 0 || index >= pageCount) {
              throw new ProtocolException(
                  "corrupt frame: page index "
                      + index
                      + " outside [0, "
                      + pageCount
                      + ") on "
                      + connection.name());
            }
            if (kind == Protocol.KIND_RAW) {
              int crc = reader.sealPage(pageSize);
              target.receivePage(index, reader.slice(Protocol.PAGE_HEADER, pageSize));
              crcs[index] = crc;
            } else if (kind == Protocol.KIND_ZERO) {
              reader.seal(Protocol.PAGE_HEADER);
              target.receivePage(index, zeros.duplicate());
              crcs[index] = zeroCrc;
            } else {
              throw new ProtocolException(
                  "corrupt frame: unknown page kind " + kind + " on " + connection.name());
            }
          }
          case Protocol.ITERATION -> reader.seal(1 + 8);
          case Protocol.SYNC -> {
            reader.require(1 + 8);
            long sequence = reader.getLong(1);
            reader.seal(1 + 8);
            synchronized (syncs) {
              long[] seen = java.util.Objects.requireNonNull(syncSeen);
              seen[channel] = sequence;
              syncs.notifyAll();
            }
          }
          case Protocol.POSTCOPY -> {
            controlOnly(channel, type);
            reader.require(1 + 8 + 4);
            long sequence = reader.getLong(1);
            int length = reader.getInt(9);
            int expectedLength = (pageCount + 7) >>> 3;
            if (length != expectedLength) {
              throw new ProtocolException(
                  "corrupt frame: a post-copy bitmap of "
                      + length
                      + " bytes, but "
                      + expectedLength
                      + " were expected");
            }
            byte[] bitmap = reader.blob(1 + 8 + 4, length);
            switchToPostCopy(sequence, bitmap, target);
          }
          case Protocol.DIGEST -> {
            controlOnly(channel, type);
            reader.require(1 + 8 + Protocol.DIGEST_BYTES);
            long sequence = reader.getLong(1);
            byte[] digest = new byte[Protocol.DIGEST_BYTES];
            reader.slice(1 + 8, Protocol.DIGEST_BYTES).get(digest);
            reader.seal(1 + 8 + Protocol.DIGEST_BYTES);
            verify(sequence, digest, target, crcs);
          }
          case Protocol.GO -> {
            controlOnly(channel, type);
            reader.seal(1);
            go(target);
          }
          case Protocol.ABORT -> {
            String reason = reader.text();
            fail("the source aborted: " + reason, false);
            return;
          }
          case Protocol.END -> {
            reader.seal(1);
            connection.close();
            return;
          }
          default ->
              throw new ProtocolException(
                  "corrupt frame: unknown frame type "
                      + Protocol.describeType(type)
                      + " on "
                      + connection.name());
        }
      }
    } catch (IOException | RuntimeException e) {
      String reason = connection.closedBecause();
      if (reason == null || e instanceof ProtocolException) {
        reason = Failures.describe(e, "on " + connection.name());
      }
      fail(reason);
    }
  }

  private static void controlOnly(int channel, byte type) throws ProtocolException {
    if (channel != 0) {
      throw new ProtocolException(
          "corrupt frame: a " + Protocol.describeType(type) + " frame on channel " + channel);
    }
  }

  private void awaitSync(long sequence) throws IOException {
    long deadline = System.nanoTime() + ioTimeout.toNanos();
    synchronized (syncs) {
      while (true) {
        long[] seen = java.util.Objects.requireNonNull(syncSeen);
        if (Arrays.stream(seen).allMatch(s -> s >= sequence) && attachedAll()) {
          return;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || completion.isDone()) {
          throw new TransferFailedException(
              "read timeout: not every channel delivered its pages within "
                  + ioTimeout.toMillis()
                  + " ms");
        }
        try {
          syncs.wait(Math.max(1, Math.min(50, left / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new TransferFailedException("interrupted while waiting for the channels", e);
        }
      }
    }
  }

  private synchronized boolean attachedAll() {
    return attached == channels;
  }

  private void switchToPostCopy(long sequence, byte[] bitmap, ReceivingMemory target)
      throws IOException {
    awaitSync(sequence);
    synchronized (this) {
      if (state != State.RECEIVING) {
        throw new ProtocolException("corrupt frame: a POSTCOPY frame in state " + state);
      }
      for (int index = 0; index < pageCount; index++) {
        if ((bitmap[index >>> 3] & (1 << (index & 7))) != 0) {
          target.discardPage(index);
        }
      }
      for (int bit = pageCount; bit < bitmap.length * 8; bit++) {
        if ((bitmap[bit >>> 3] & (1 << (bit & 7))) != 0) {
          throw new ProtocolException(
              "corrupt frame: the post-copy bitmap names page " + bit + " beyond the memory");
        }
      }
      requested = new AtomicLongArray((pageCount + 63) >>> 6);
      state = State.POST_COPY;
    }
    target.demandPaging(this::requestPage);
    target.activate();
    reply(Protocol.SWITCHED);
    LOG.info("Migration {} switched to post-copy: the guest runs here", uid);
  }

  private void requestPage(int index) {
    AtomicLongArray asked;
    synchronized (this) {
      asked = requested;
      if (state == State.FAILED) {
        throw new UncheckedIOException(
            new TransferFailedException(
                "post-copy: the link to the source is lost; page " + index + " cannot be fetched"));
      }
    }
    if (asked == null || index < 0 || index >= pageCount) {
      return;
    }
    long bit = 1L << index;
    if ((asked.getAndUpdate(index >>> 6, v -> v | bit) & bit) != 0) {
      return;
    }
    try {
      FrameWriter writer = java.util.Objects.requireNonNull(back);
      synchronized (writer) {
        writer.request(index);
        writer.flush();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          new TransferFailedException(
              "post-copy: the link to the source is lost; page "
                  + index
                  + " cannot be fetched ("
                  + e.getMessage()
                  + ")",
              e));
    }
  }

  private void verify(long sequence, byte[] digest, ReceivingMemory target, int[] crcs)
      throws IOException {
    awaitSync(sequence);
    int missing = 0;
    for (int index = 0; index < pageCount; index++) {
      if (!target.isPresent(index)) {
        missing++;
      }
    }
    if (missing > 0) {
      throw new TransferFailedException(
          "integrity check failed: " + missing + " of " + pageCount + " pages never arrived");
    }
    if (!MessageDigest.isEqual(digest, Protocol.digest(crcs))) {
      throw new TransferFailedException(
          "integrity check failed: the digest of the received pages differs from the source's");
    }
    boolean postCopy;
    synchronized (this) {
      postCopy = state == State.POST_COPY;
      if (!postCopy && state != State.RECEIVING) {
        throw new ProtocolException("corrupt frame: a DIGEST frame in state " + state);
      }
      state = postCopy ? State.RUNNING : State.VERIFIED;
    }
    if (postCopy) {
      target.demandPaging(null);
      finish(target);
    }
    reply(Protocol.VERIFIED);
  }

  private void go(ReceivingMemory target) throws IOException {
    synchronized (this) {
      if (state != State.VERIFIED) {
        throw new ProtocolException("corrupt frame: a GO frame in state " + state);
      }
      state = State.RUNNING;
    }
    target.activate();
    finish(target);
    reply(Protocol.RUNNING);
  }

  private void finish(ReceivingMemory target) {
    Watchdog.Group watched;
    synchronized (this) {
      watched = group;
    }
    if (watched != null) {
      watched.cancel();
    }
    agent.forget(this);
    completion.complete(target);
    LOG.info("Migration {} received: the guest runs here", uid);
  }

  private void reply(byte type) throws IOException {
    FrameWriter writer = java.util.Objects.requireNonNull(back);
    synchronized (writer) {
      writer.control(type);
      writer.flush();
    }
  }

  // ---------------------------------------------------------------- failure

  void fail(String reason) {
    fail(reason, true);
  }

  private void fail(String reason, boolean tellSource) {
    @Nullable ReceivingMemory partial;
    FrameWriter writer;
    Connection[] open;
    boolean postCopy;
    synchronized (this) {
      if (state == State.FAILED || state == State.RUNNING) {
        return;
      }
      postCopy = state == State.POST_COPY;
      state = State.FAILED;
      partial = memory;
      writer = back;
      open = connections == null ? new Connection[0] : connections.clone();
    }
    agent.forget(this);
    synchronized (this) {
      if (group != null) {
        group.cancel();
      }
    }
    if (tellSource && writer != null) {
      // Tell the source why, but never wait on it for long.
      Connection control = writer.connection();
      Watchdog.Group grace =
          agent.watchdog().watch(TELL_SOURCE_GRACE, stall -> control.close(reason));
      control.watchedBy(grace);
      try {
        synchronized (writer) {
          writer.text(Protocol.ERROR, reason);
          writer.flush();
        }
      } catch (IOException | RuntimeException e) {
        LOG.debug("Migration {}: could not tell the source why it failed", uid, e);
      } finally {
        grace.cancel();
      }
    }
    for (Connection connection : open) {
      if (connection != null) {
        connection.close(reason);
      }
    }
    if (partial != null) {
      if (postCopy) {
        LOG.error(
            "Migration {} failed in post-copy: {}; the guest here lacks pages it may need",
            uid,
            reason);
      } else {
        partial.discardAll();
      }
    }
    LOG.warn("Migration {} failed on the target: {}", uid, reason);
    completion.completeExceptionally(new TransferFailedException(reason));
  }
}
