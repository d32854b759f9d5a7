package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.ReceivingMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
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
 * <p>Before post-copy, a channel that breaks fails the migration: a source cannot reattach (the
 * token is used once), and a retry is a new migration. In post-copy, a channel that breaks or stays
 * silent pauses the migration instead (unless the agent's post-copy recovery budget is zero): every
 * connection is closed, the guest keeps running on the pages it has and waits for the others, and
 * the source may resume over new connections authenticated with the resume token ({@link
 * Protocol#resumeToken}); the target tells it which pages it has, and drops any page it already has
 * (so that none is applied twice over what the guest wrote). When no source resumes within the
 * budget, the migration fails as a broken post-copy does: the guest loses the pages it lacks. A
 * source that lost its link at or after the go-ahead asks the agent where the guest runs (see
 * {@link Verdict}); the answer settles the migration.
 */
public final class IncomingMigration {
  private static final Logger LOG = LoggerFactory.getLogger(IncomingMigration.class);

  enum State {
    EXPECTED,
    RECEIVING,
    POST_COPY,
    /** Post-copy whose link broke: waits for the source to resume. */
    POST_COPY_PAUSED,
    VERIFIED,
    RUNNING,
    FAILED
  }

  // Package-private for the post-copy link, which shares this migration's monitor.
  final TargetAgent agent;
  final String uid;
  private final String token;
  private final int pageSize;
  final int pageCount;
  final Duration ioTimeout;
  volatile boolean postCopy;
  private final CompletableFuture<ReceivingMemory> completion = new CompletableFuture<>();
  final ReceivingMemory memory;
  private final PostCopyLink postCopyLink;

  // Guarded by this.
  State state = State.EXPECTED;
  int channels;
  private byte compression;
  Connection @Nullable [] connections;
  int attached;
  int ended;
  private @Nullable SyncBarrier barrier;
  private int @Nullable [] receivedCrc;
  @Nullable FrameWriter back;
  Watchdog.@Nullable Group group;
  private boolean failedInPostCopy;
  private long lostPages;
  private @Nullable String failure;
  // The connections of one attempt of the source's belong to one epoch: 0 at first, one more for
  // each resumed link. A receiver that ends reports only on its own epoch.
  int epoch;
  // Channel receivers attached and not ended, of any epoch: a resume waits for the old ones.
  int live;

  IncomingMigration(
      TargetAgent agent,
      String uid,
      String token,
      int pageSize,
      int pageCount,
      ReceivingMemory memory,
      Duration ioTimeout,
      Duration recoveryWait) {
    this.agent = agent;
    this.postCopyLink = new PostCopyLink(this, Protocol.resumeToken(uid, token), recoveryWait);
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

  boolean resumeTokenMatches(String offered) {
    return postCopyLink.resumeTokenMatches(offered);
  }

  /** Whether the guest runs here in post-copy (paused or not): pages present are the guest's. */
  boolean inPostCopy() {
    return postCopy;
  }

  /** A page that arrived in post-copy although the target had it: dropped. */
  void duplicate() {
    postCopyLink.duplicate();
  }

  /** Pages dropped because they arrived in post-copy while the target had them, for tests. */
  long duplicates() {
    return postCopyLink.duplicates();
  }

  /** How many times a broken post-copy link was resumed, for tests. */
  int resumes() {
    return postCopyLink.resumes();
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
    String refusal = ChannelAdmission.refusal(hello, pageSize, pageCount);
    if (refusal != null) {
      return refusal;
    }
    if (connections == null) {
      channels = hello.channels();
      compression = hello.compression();
      connections = new Connection[channels];
      barrier = new SyncBarrier(channels, ioTimeout);
    } else {
      String mismatch = ChannelAdmission.mismatch(hello, channels, compression);
      if (mismatch != null) {
        return mismatch;
      }
    }
    if (connections[hello.channel()] != null) {
      return "channel " + hello.channel() + " is already connected";
    }
    if (receivedCrc == null) {
      receivedCrc = new int[pageCount];
      // Attached but silent (a source that vanished after its handshake, channels that never come)
      // fails within the I/O timeout: the watchdog sees the blocked reads.
      group = watchLink(0);
      state = State.RECEIVING;
      agent.activate(this);
      LOG.info(
          "Receiving migration {} in {} channel(s){}",
          Protocol.printable(uid),
          channels,
          compression == Protocol.COMPRESSION_ZSTD ? ", zstd-compressed" : "");
    }
    plug(hello.channel(), connection, true);
    if (attached == channels) {
      agent.consumed(this);
    }
    return null;
  }

  /** Attaches a connection to the current epoch; channel 0 gets the writer back if {@code back}. */
  void plug(int channel, Connection connection, boolean writer) {
    Connection[] slots = Objects.requireNonNull(connections);
    connection.watchedBy(group);
    slots[channel] = connection;
    if (channel == 0 && writer) {
      back = backWriter(connection);
    }
    attached++;
    live++;
  }

  static FrameWriter backWriter(Connection connection) {
    return new FrameWriter(
        connection, PagedMemory.MIN_PAGE_SIZE, new TokenBucket(0), () -> false, new LongAdder());
  }

  /** Watches the current epoch's connections: a stall breaks the link. */
  Watchdog.Group watchLink(int epochOf) {
    return agent
        .watchdog()
        .watch(ioTimeout, stall -> agent.execute(() -> lost(stall, true, epochOf)));
  }

  synchronized int epoch() {
    return epoch;
  }

  /** Reads one channel's frames until it ends; runs on the channel's own thread. */
  void receive(int channel, int epochOf, Connection connection) {
    int[] crcs;
    boolean compressed;
    synchronized (this) {
      compressed = compression == Protocol.COMPRESSION_ZSTD;
      crcs = receivedCrc;
      if (crcs == null || state == State.FAILED) {
        connection.close();
        detached(epochOf);
        return;
      }
    }
    try {
      new ChannelReceiver(this, channel, epochOf, connection, memory, crcs, pageSize, compressed)
          .run();
    } finally {
      detached(epochOf);
    }
  }

  /** A receiver of {@code epochOf} ended (or never started). */
  synchronized void detached(int epochOf) {
    live--;
    notifyAll();
    if (epochOf != epoch) {
      return;
    }
    ended++;
    if (ended >= attached && (state == State.RUNNING || state == State.FAILED) && group != null) {
      // Every channel ended: nothing left for the agent's watchdog to watch.
      group.cancel();
    }
  }

  // ---------------------------------------------------------------- frames of channel 0

  void synced(int channel, long sequence) {
    Objects.requireNonNull(barrier()).synced(channel, sequence);
  }

  void awaitSync(long sequence) throws IOException {
    Objects.requireNonNull(barrier())
        .await(sequence, this::attachedAll, () -> completion.isDone() || paused());
  }

  private synchronized @Nullable SyncBarrier barrier() {
    return barrier;
  }

  private synchronized boolean paused() {
    return state == State.POST_COPY_PAUSED;
  }

  private synchronized boolean attachedAll() {
    return attached == channels;
  }

  /** The go-ahead in post-copy: the guest starts here before all its pages arrived. */
  void switchToPostCopy(long sequence, byte[] bitmap) throws IOException {
    postCopyLink.switchToPostCopy(sequence, bitmap);
  }

  void verify(long sequence, byte[] digest) throws IOException {
    awaitSync(sequence);
    IntegrityCheck.verify(memory, pageCount, Objects.requireNonNull(receivedCrc), digest);
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

  void reply(byte type) throws IOException {
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

  /**
   * A channel of {@code epochOf} broke ({@code link}: the connection failed or stayed silent) or
   * delivered garbage. In post-copy a broken link pauses the migration; anything else fails it.
   */
  void lost(String reason, boolean link, int epochOf) {
    boolean pause;
    synchronized (this) {
      if (epochOf != epoch || state == State.POST_COPY_PAUSED) {
        // An older attempt's connection, or one closed by the pause itself: no news.
        LOG.debug("Migration {}: a replaced channel ended: {}", uid, reason);
        return;
      }
      if (state == State.RUNNING) {
        LOG.debug("Migration {}: a channel ended badly after the guest started: {}", uid, reason);
        return;
      }
      pause = link && state == State.POST_COPY && postCopyLink.pausable();
    }
    if (pause) {
      postCopyLink.pause(reason);
    } else {
      fail(reason);
    }
  }

  /** What an accepted resume of channel 0 tells the source, or why a resume is refused. */
  record Resumed(@Nullable String refusal, int epoch, byte[] present) {
    static Resumed refused(String why) {
      return new Resumed(why, -1, new byte[0]);
    }
  }

  /**
   * A source resumes the link (its resume token matched): channel 0 pauses the migration if it is
   * not paused yet, waits (bounded by the I/O timeout) for the old connections' receivers to end,
   * starts a new epoch and reports the pages the target has; the other channels attach to that
   * epoch. The writer back to the source is installed by {@link #resumedControl} once the reply is
   * out, so that no page request precedes it.
   */
  Resumed resume(Protocol.Resume request, Connection connection) {
    return postCopyLink.resume(request, connection);
  }

  /** Channel 0's resume reply is out: page requests go to the source again. */
  void resumedControl(int epochOf, Connection connection) {
    postCopyLink.resumedControl(epochOf, connection);
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
      postCopy = state == State.POST_COPY || state == State.POST_COPY_PAUSED;
      reason = cause;
      if (postCopy) {
        lostPages = IntegrityCheck.missingPages(memory, pageCount);
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
      postCopyLink.cancelPauseDeadline();
    }
    agent.settled(this);
    if (tellSource && writer != null) {
      FailureNotice.tell(writer, agent.watchdog(), uid, reason);
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

  static void closeAll(Connection[] open, String reason) {
    for (Connection connection : open) {
      if (connection != null) {
        connection.close(reason);
      }
    }
  }
}
