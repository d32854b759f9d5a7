package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.ReceivingMemory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
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
 * discarded ({@link ReceivingMemory#discardAll()}); after a failure in post-copy the guest keeps
 * the memory and the reason says how many pages are lost.
 *
 * <p>A channel that breaks fails the migration: a source cannot reattach (the token is used once),
 * and a retry is a new migration. A source that lost its link at or after the go-ahead asks the
 * agent where the guest runs (see {@link Verdict}); the answer settles the migration.
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
  private final ReceivingMemory memory;

  // Guarded by this.
  private State state = State.EXPECTED;
  private int channels;
  private byte compression;
  private Connection @Nullable [] connections;
  private int attached;
  private int ended;
  private @Nullable SyncBarrier barrier;
  private int @Nullable [] receivedCrc;
  private @Nullable FrameWriter back;
  private Watchdog.@Nullable Group group;
  private @Nullable AtomicLongArray requested;
  private boolean failedInPostCopy;
  private long lostPages;
  private @Nullable String failure;

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

  /** Whether the source compresses what it sends (learnt from the channels' handshake). */
  synchronized boolean compressed() {
    return compression == Protocol.COMPRESSION_ZSTD;
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

  boolean tokenMatches(String offered) {
    return MessageDigest.isEqual(
        offered.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
  }

  // ---------------------------------------------------------------- the handshake

  /**
   * Checks a channel's handshake (whose token matched) and attaches it; returns why it is refused,
   * or null.
   */
  synchronized @Nullable String attach(Protocol.Hello hello, Connection connection) {
    if (state != State.EXPECTED && state != State.RECEIVING) {
      return "migration " + uid + " is no longer expected here (" + state + ")";
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
    if (hello.compression() == Protocol.COMPRESSION_ZSTD) {
      String unavailable = ZstdFrames.unavailable();
      if (unavailable != null) {
        return "this target cannot decompress: " + unavailable;
      }
    }
    if (connections == null) {
      channels = hello.channels();
      compression = hello.compression();
      connections = new Connection[channels];
      barrier = new SyncBarrier(channels, ioTimeout);
    } else if (hello.channels() != channels) {
      return "channel count " + hello.channels() + " differs from the first channel's " + channels;
    } else if (hello.compression() != compression) {
      return "compression "
          + hello.compression()
          + " differs from the first channel's "
          + compression;
    }
    if (connections[hello.channel()] != null) {
      return "channel " + hello.channel() + " is already connected";
    }
    if (receivedCrc == null) {
      receivedCrc = new int[pageCount];
      // Attached but silent (a source that vanished after its handshake, channels that never come)
      // fails within the I/O timeout: the watchdog sees the blocked reads.
      group = agent.watchdog().watch(ioTimeout, stall -> agent.execute(() -> fail(stall)));
      state = State.RECEIVING;
      agent.activate(this);
      LOG.info(
          "Receiving migration {} in {} channel(s){}",
          Protocol.printable(uid),
          channels,
          compression == Protocol.COMPRESSION_ZSTD ? ", zstd-compressed" : "");
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
              new LongAdder());
    }
    attached++;
    if (attached == channels) {
      agent.consumed(this);
    }
    return null;
  }

  /** Reads one channel's frames until it ends; runs on the channel's own thread. */
  void receive(int channel, Connection connection) {
    int[] crcs;
    boolean compressed;
    synchronized (this) {
      compressed = compression == Protocol.COMPRESSION_ZSTD;
      crcs = receivedCrc;
      if (crcs == null || state == State.FAILED) {
        connection.close();
        return;
      }
    }
    new ChannelReceiver(this, channel, connection, memory, crcs, pageSize, compressed).run();
    synchronized (this) {
      ended++;
      if (ended >= attached && (state == State.RUNNING || state == State.FAILED) && group != null) {
        // Every channel ended: nothing left for the agent's watchdog to watch.
        group.cancel();
      }
    }
  }

  // ---------------------------------------------------------------- frames of channel 0

  void synced(int channel, long sequence) {
    Objects.requireNonNull(barrier()).synced(channel, sequence);
  }

  private void awaitSync(long sequence) throws IOException {
    Objects.requireNonNull(barrier()).await(sequence, this::attachedAll, completion::isDone);
  }

  private synchronized @Nullable SyncBarrier barrier() {
    return barrier;
  }

  private synchronized boolean attachedAll() {
    return attached == channels;
  }

  /** The go-ahead in post-copy: the guest starts here before all its pages arrived. */
  void switchToPostCopy(long sequence, byte[] bitmap) throws IOException {
    awaitSync(sequence);
    for (int bit = pageCount; bit < bitmap.length * 8; bit++) {
      if ((bitmap[bit >>> 3] & (1 << (bit & 7))) != 0) {
        throw new ProtocolException(
            "corrupt frame: the post-copy bitmap names page " + bit + " beyond the memory");
      }
    }
    synchronized (this) {
      if (state != State.RECEIVING) {
        throw new ProtocolException("corrupt frame: a POSTCOPY frame in state " + state);
      }
      for (int index = 0; index < pageCount; index++) {
        if ((bitmap[index >>> 3] & (1 << (index & 7))) != 0) {
          memory.discardPage(index);
        }
      }
      requested = new AtomicLongArray((pageCount + 63) >>> 6);
      state = State.POST_COPY;
      // Activated under the lock, so that an outcome query sees either "not started" or the guest.
      memory.demandPaging(this::requestPage);
      memory.activate();
    }
    reply(Protocol.SWITCHED);
    LOG.info("Migration {} switched to post-copy: the guest runs here", Protocol.printable(uid));
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
      FrameWriter writer = Objects.requireNonNull(back);
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

  void verify(long sequence, byte[] digest) throws IOException {
    awaitSync(sequence);
    int missing = missingPages();
    if (missing > 0) {
      throw new TransferFailedException(
          "integrity check failed: " + missing + " of " + pageCount + " pages never arrived");
    }
    if (!MessageDigest.isEqual(digest, Protocol.digest(Objects.requireNonNull(receivedCrc)))) {
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
      memory.demandPaging(null);
      finish();
    }
    FrameWriter writer = Objects.requireNonNull(back);
    synchronized (writer) {
      writer.verified(sequence, digest);
      writer.flush();
    }
  }

  /** The go-ahead in pre-copy: the guest starts here. */
  void go() throws IOException {
    synchronized (this) {
      if (state != State.VERIFIED) {
        throw new ProtocolException("corrupt frame: a GO frame in state " + state);
      }
      state = State.RUNNING;
      memory.activate();
    }
    finish();
    reply(Protocol.RUNNING);
  }

  private int missingPages() {
    int missing = 0;
    for (int index = 0; index < pageCount; index++) {
      if (!memory.isPresent(index)) {
        missing++;
      }
    }
    return missing;
  }

  private void finish() {
    Connection[] open;
    synchronized (this) {
      if (group != null) {
        group.cancel();
      }
      group = null;
      open = ended >= attached || connections == null ? new Connection[0] : connections.clone();
    }
    if (open.length > 0) {
      // The source still ends each channel; one that stays silent is closed after the I/O timeout.
      Watchdog.Group ending =
          agent.watchdog().watch(ioTimeout, stall -> closeAll(open, "the source did not end"));
      synchronized (this) {
        group = ending;
        if (ended >= attached) {
          ending.cancel();
        }
      }
      for (Connection connection : open) {
        if (connection != null) {
          connection.watchedBy(ending);
        }
      }
    }
    agent.settled(this);
    completion.complete(memory);
    LOG.info("Migration {} received: the guest runs here", Protocol.printable(uid));
  }

  private void reply(byte type) throws IOException {
    FrameWriter writer = Objects.requireNonNull(back);
    synchronized (writer) {
      writer.control(type);
      writer.flush();
    }
  }

  // ---------------------------------------------------------------- the outcome query

  /**
   * Answers a source that lost its link: where the guest is. Settles the migration first: one that
   * has not started fails here now (so that a late go-ahead is refused), one in post-copy fails
   * with the pages it lacks (its source gave up serving them).
   */
  Verdict settle() {
    State now;
    synchronized (this) {
      now = state;
    }
    if (now != State.RUNNING && now != State.FAILED) {
      fail("the source lost its link and asked for the outcome", false);
    }
    synchronized (this) {
      if (state == State.RUNNING) {
        return new Verdict(
            Verdict.Kind.RUNNING, 0, pageCount, "the guest runs on this target with every page");
      }
      String why = Objects.requireNonNullElse(failure, "failed");
      if (failedInPostCopy) {
        return new Verdict(Verdict.Kind.PAGES_LOST, lostPages, pageCount, why);
      }
      return new Verdict(Verdict.Kind.NOT_STARTED, 0, pageCount, why);
    }
  }

  // ---------------------------------------------------------------- failure

  /** A channel broke or delivered garbage. */
  void lost(String reason) {
    boolean running;
    synchronized (this) {
      running = state == State.RUNNING;
    }
    if (running) {
      LOG.debug("Migration {}: a channel ended badly after the guest started: {}", uid, reason);
      return;
    }
    fail(reason);
  }

  void fail(String reason) {
    fail(reason, true);
  }

  void fail(String cause, boolean tellSource) {
    FrameWriter writer;
    Connection[] open;
    boolean postCopy;
    String reason;
    synchronized (this) {
      if (state == State.FAILED || state == State.RUNNING) {
        return;
      }
      postCopy = state == State.POST_COPY;
      reason = cause;
      if (postCopy) {
        lostPages = missingPages();
        reason =
            "post-copy failed: "
                + lostPages
                + " of "
                + pageCount
                + " pages had not arrived and are lost to the guest running here ("
                + cause
                + ")";
        failedInPostCopy = true;
      }
      state = State.FAILED;
      failure = reason;
      writer = back;
      open = connections == null ? new Connection[0] : connections.clone();
      if (group != null) {
        group.cancel();
      }
    }
    agent.settled(this);
    if (tellSource && writer != null) {
      tellSource(writer, reason);
    }
    closeAll(open, reason);
    if (postCopy) {
      LOG.error("Migration {} failed on the target: {}", Protocol.printable(uid), reason);
    } else {
      memory.discardAll();
      LOG.warn("Migration {} failed on the target: {}", Protocol.printable(uid), reason);
    }
    completion.completeExceptionally(new TransferFailedException(reason));
  }

  private void tellSource(FrameWriter writer, String reason) {
    // Tell the source why, but never wait on it for long.
    Connection control = writer.connection();
    Watchdog.Group grace =
        agent.watchdog().watch(TELL_SOURCE_GRACE, stall -> control.close(reason));
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

  private static void closeAll(Connection[] open, String reason) {
    for (Connection connection : open) {
      if (connection != null) {
        connection.close(reason);
      }
    }
  }
}
