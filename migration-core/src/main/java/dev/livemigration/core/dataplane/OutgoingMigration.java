package dev.livemigration.core.dataplane;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigratableMemory;
import dev.livemigration.api.spi.MigrationTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source side of one migration of the data plane: moves a {@link MigratableMemory} to a {@link
 * TargetAgent} that expects it, while the memory keeps changing.
 *
 * <p>Pre-copy sends every page, then, pass after pass, the pages dirtied since; when the remaining
 * dirty bytes at the measured bandwidth fit the maximum downtime, it pauses the memory, sends the
 * rest, has the target verify the digest of every page and start, and reports the downtime. {@link
 * Directive.SwitchToPostCopy} instead pauses the source at once, starts the target, and pushes the
 * remaining pages while serving the target's page requests first. Until the switch, a failure or an
 * abort resumes the source memory untouched.
 *
 * <pre>{@code
 * OutgoingMigration out = OutgoingMigration.start(
 *     memory, transport, target.address(), incoming.uid(), incoming.token(),
 *     TransferOptions.defaults());
 * ProgressSample last = out.completion().join();
 * }</pre>
 *
 * <p>Thread-safe. {@link #completion()} never completes exceptionally: a failure is a sample with
 * status FAILED and a reason.
 */
public final class OutgoingMigration implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutgoingMigration.class);
  private static final AtomicInteger IDS = new AtomicInteger();
  private static final int HELLO_REPLY_FIXED = 4 + 2 + 1 + 2;

  private enum Reply {
    VERIFIED,
    RUNNING,
    SWITCHED,
    LOST
  }

  private final String uid;
  private final MigratableMemory memory;
  private final int pageSize;
  private final int pageCount;
  private final int channels;
  private final int[][] wordsOf;
  private final int words;
  private final Duration ioTimeout;
  private final String name;
  private final List<Connection> connections = new ArrayList<>();
  private final List<FrameWriter> writers = new ArrayList<>();
  private final TokenBucket bucket;
  private final LongAdder wireBytes = new LongAdder();
  private final Watchdog watchdog;
  private final Watchdog.Group group;
  private final int[] sentCrc;
  private final long[] staleWords;
  private final AtomicLong staleCount = new AtomicLong();
  private final ExecutorService workers;
  private final BlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
  private final ConcurrentLinkedQueue<Integer> requests = new ConcurrentLinkedQueue<>();
  private final CompletableFuture<ProgressSample> completion = new CompletableFuture<>();
  private final long startNanos = System.nanoTime();
  private @Nullable Thread coordinator;
  private @Nullable Thread returnPath;
  private @Nullable AtomicLongArray claimed;

  private volatile long maxDowntimeNanos;
  private volatile boolean postCopyRequested;
  private volatile @Nullable String abortReason;
  private volatile boolean stopping;
  private volatile int throttle;
  private volatile ProgressSample.Status status = ProgressSample.Status.ACTIVE;
  private volatile MigrationMode mode = MigrationMode.PRE_COPY;
  private volatile boolean committed;
  private volatile boolean paused;
  private volatile long iteration;
  private volatile long dirtyRate;
  private volatile @Nullable Duration downtime;
  private volatile @Nullable String failure;
  private volatile @Nullable String targetError;
  private volatile @Nullable String lostBecause;
  private volatile boolean flushRequested;
  private final AtomicLong servedRequests = new AtomicLong();
  private final AtomicLong sentAfterSwitch = new AtomicLong();
  private volatile long staleAtSwitch;
  private long syncSequence;
  private long passBytes;
  private long passNanos;
  private long lastSampleNanos = startNanos;
  private long lastSampleBytes;
  private long lastRate;

  private OutgoingMigration(
      String uid, MigratableMemory memory, TransferOptions options, Routing routing) {
    this.uid = uid;
    this.memory = memory;
    this.pageSize = memory.pageSize();
    this.pageCount = memory.pageCount();
    if (pageSize < PagedMemory.MIN_PAGE_SIZE
        || pageSize > PagedMemory.MAX_PAGE_SIZE
        || Integer.bitCount(pageSize) != 1) {
      throw new IllegalArgumentException(
          "memory.pageSize() must be a power of two between 512 and 1 MiB, but was " + pageSize);
    }
    if (pageCount < 1) {
      throw new IllegalArgumentException("memory.pageCount() must be >= 1, but was " + pageCount);
    }
    this.channels = options.channels() + routing.blockChannels();
    this.words = (pageCount + 63) >>> 6;
    this.wordsOf = routing.partition(words, options.channels());
    this.ioTimeout = options.ioTimeout();
    this.maxDowntimeNanos = options.maxDowntime().toNanos();
    this.name = "lm-dataplane-out-" + IDS.incrementAndGet();
    this.bucket = new TokenBucket(options.bandwidth());
    this.sentCrc = new int[pageCount];
    this.staleWords = new long[words];
    this.watchdog = new Watchdog(name + "-watchdog");
    this.group = watchdog.watch(ioTimeout, this::stalled);
    AtomicInteger threads = new AtomicInteger();
    this.workers =
        Executors.newFixedThreadPool(
            channels,
            runnable -> {
              Thread thread = new Thread(runnable, name + "-channel-" + threads.getAndIncrement());
              thread.setDaemon(true);
              return thread;
            });
  }

  /**
   * Connects to the target, completes the handshake on every channel and starts moving the memory
   * in the background.
   *
   * @param memory the memory to move; it keeps running until the switch
   * @param transport how to reach the target
   * @param target the address of the target agent
   * @param uid the migration's uid, as announced to the agent
   * @param token the one-time token the agent issued for it
   * @param options channels, bandwidth, downtime and timeouts
   * @throws TransferFailedException if the target cannot be reached or refuses the migration
   */
  public static OutgoingMigration start(
      MigratableMemory memory,
      MigrationTransport transport,
      InetSocketAddress target,
      String uid,
      String token,
      TransferOptions options)
      throws TransferFailedException {
    Objects.requireNonNull(memory, "memory");
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(options, "options");
    return start(memory, transport, uid, token, options, new Routing(List.of(target), -1, 0));
  }

  /**
   * Where each channel connects and which pages it carries: the first {@code options.channels()}
   * channels carry the pages before word {@code splitWord} (64 pages a word) and go to the first
   * address; {@code blockChannels} more carry the pages from {@code splitWord} on (disks, in block
   * migration) and go to the second address.
   */
  record Routing(List<InetSocketAddress> targets, int splitWord, int blockChannels) {
    int[][] partition(int words, int memoryChannels) {
      int total = memoryChannels + blockChannels;
      List<List<Integer>> lists = new ArrayList<>();
      for (int c = 0; c < total; c++) {
        lists.add(new ArrayList<>());
      }
      for (int w = 0; w < words; w++) {
        int channel =
            blockChannels > 0 && splitWord >= 0 && w >= splitWord
                ? memoryChannels + (w - splitWord) % blockChannels
                : w % memoryChannels;
        lists.get(channel).add(w);
      }
      int[][] result = new int[total][];
      for (int c = 0; c < total; c++) {
        result[c] = lists.get(c).stream().mapToInt(Integer::intValue).toArray();
      }
      return result;
    }

    InetSocketAddress targetOf(int channel, int memoryChannels) {
      return channel < memoryChannels || targets.size() < 2 ? targets.get(0) : targets.get(1);
    }
  }

  static OutgoingMigration start(
      MigratableMemory memory,
      MigrationTransport transport,
      String uid,
      String token,
      TransferOptions options,
      Routing routing)
      throws TransferFailedException {
    OutgoingMigration migration = new OutgoingMigration(uid, memory, options, routing);
    InetSocketAddress target = routing.targets().get(0);
    try {
      migration.connect(transport, routing, options.channels(), token);
    } catch (IOException | RuntimeException e) {
      migration.releaseResources();
      String reason =
          e instanceof TransferFailedException
              ? e.getMessage()
              : Failures.describe(e, "to " + transport.id() + "://" + target);
      throw new TransferFailedException(reason, e);
    }
    migration.launch();
    return migration;
  }

  private void connect(
      MigrationTransport transport, Routing routing, int memoryChannels, String token)
      throws IOException {
    for (int channel = 0; channel < channels; channel++) {
      InetSocketAddress target = routing.targetOf(channel, memoryChannels);
      ByteChannel raw = transport.connect(target, ioTimeout);
      Connection connection =
          new Connection(raw, "channel " + channel + " to " + transport.id() + "://" + target);
      connections.add(connection);
      connection.watchedBy(group);
      ByteBuffer fixed = ByteBuffer.allocate(HELLO_REPLY_FIXED);
      try {
        connection.write(
            Protocol.encodeHello(
                new Protocol.Hello(
                    Protocol.VERSION, channel, channels, pageSize, pageCount, uid, token)));
      } catch (IOException writeFailure) {
        // A peer that refused us (a TLS alert, a refusal) may have said why before closing.
        try {
          connection.readFully(fixed, true);
        } catch (IOException readFailure) {
          if (readFailure instanceof javax.net.ssl.SSLException) {
            throw readFailure;
          }
        }
        throw writeFailure;
      }
      connection.readFully(fixed, true);
      fixed.flip();
      int magic = fixed.getInt();
      short version = fixed.getShort();
      byte status = fixed.get();
      int length = Short.toUnsignedInt(fixed.getShort());
      if (magic != Protocol.MAGIC) {
        throw new TransferFailedException(
            "the peer at " + target + " is not a live-migration target agent (bad magic)");
      }
      if (length > Protocol.MAX_STRING) {
        throw new TransferFailedException(
            "the target's handshake reply is corrupt: reason of " + length + " bytes");
      }
      ByteBuffer reason = ByteBuffer.allocate(length);
      connection.readFully(reason, true);
      String text = FrameWriter.decode(reason.array());
      if (status != Protocol.STATUS_ACCEPTED) {
        throw new TransferFailedException("the target refused the migration: " + text);
      }
      if (version != Protocol.VERSION) {
        throw new TransferFailedException(
            "the target speaks protocol version " + version + ", not " + Protocol.VERSION);
      }
      writers.add(new FrameWriter(connection, pageSize, bucket, () -> stopping, wireBytes));
    }
    LOG.debug("Migration {}: {} channel(s) connected to {}", uid, channels, routing.targets());
  }

  private void launch() {
    Thread reader = new Thread(this::readReturnPath, name + "-return");
    reader.setDaemon(true);
    returnPath = reader;
    Thread main = new Thread(this::run, name);
    main.setDaemon(true);
    coordinator = main;
    reader.start();
    main.start();
  }

  // ---------------------------------------------------------------- public controls

  /** The migration's uid. */
  public String uid() {
    return uid;
  }

  /** Returns the migration's progress now. */
  public synchronized ProgressSample progress() {
    long now = System.nanoTime();
    long bytes = wireBytes.sum();
    if (now - lastSampleNanos >= 1_000_000) {
      lastRate = (long) ((bytes - lastSampleBytes) * 1e9 / (now - lastSampleNanos));
      lastSampleNanos = now;
      lastSampleBytes = bytes;
    }
    ProgressSample.Status current = status;
    ProgressSample.Builder sample =
        ProgressSample.builder()
            .status(current)
            .elapsed(Duration.ofNanos(now - startNanos))
            .dataTotal((long) pageSize * pageCount)
            .dataProcessed(bytes)
            .dataRemaining(
                current == ProgressSample.Status.COMPLETED
                    ? 0
                    : Math.max(0, staleCount.get()) * pageSize)
            .dirtyRate(dirtyRate)
            .transferRate(Math.max(0, lastRate))
            .iteration(iteration)
            .mode(mode)
            .throttlePercent(throttle);
    Duration pause = downtime;
    if (pause != null) {
      sample.downtime(pause);
    }
    String why = failure;
    if (why != null && current == ProgressSample.Status.FAILED) {
      sample.failureReason(why);
    }
    return sample.build();
  }

  /**
   * Applies a strategy's directive: throttle the memory, change the downtime or bandwidth, switch
   * to post-copy, or abort.
   */
  public void apply(Directive directive) {
    if (directive instanceof Directive.Throttle t) {
      throttle = t.percent();
      memory.throttle(t.percent());
    } else if (directive instanceof Directive.SetMaxDowntime d) {
      maxDowntimeNanos = d.maxDowntime().toNanos();
    } else if (directive instanceof Directive.SetBandwidth b) {
      bucket.setRate(b.bytesPerSecond());
    } else if (directive instanceof Directive.SwitchToPostCopy) {
      if (mode == MigrationMode.PRE_COPY && !committed) {
        postCopyRequested = true;
      }
    } else if (directive instanceof Directive.Abort a) {
      abort(a.reason());
    }
  }

  /**
   * Stops the migration and resumes the source memory, unless the switch already happened (then the
   * migration goes on). Idempotent.
   */
  public void abort(String reason) {
    if (status != ProgressSample.Status.ACTIVE
        || committed
        || postCopyRequested
        || mode == MigrationMode.POST_COPY) {
      LOG.debug("Migration {}: abort ignored ({}, {})", uid, status, mode);
      return;
    }
    if (abortReason == null) {
      abortReason = reason;
    }
    stopping = true;
  }

  /** Completes with the final sample (COMPLETED or FAILED); never exceptionally. */
  public CompletableFuture<ProgressSample> completion() {
    return completion.copy();
  }

  /**
   * Aborts the migration if it runs in pre-copy, waits (bounded) for it to end and releases its
   * threads and connections. Idempotent.
   */
  @Override
  public void close() {
    abort("the migration was closed");
    try {
      completion.get(ioTimeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      LOG.warn("Migration {}: did not end in time; closing its connections", uid);
    }
    closeConnections("the migration was closed");
    releaseResources();
    join(coordinator);
    join(returnPath);
  }

  private static void join(@Nullable Thread thread) {
    if (thread == null || thread == Thread.currentThread()) {
      return;
    }
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void releaseResources() {
    group.cancel();
    watchdog.close();
    workers.shutdown();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeConnections("the migration ended");
  }

  private void closeConnections(String because) {
    for (Connection connection : connections) {
      connection.close(because);
    }
  }

  private void stalled(String reason) {
    lostBecause = reason;
    stopping = true;
    closeConnections(reason);
  }

  // ---------------------------------------------------------------- the migration

  private void run() {
    try {
      memory.startDirtyLog();
      for (int w = 0; w < words; w++) {
        int bits = Math.min(64, pageCount - (w << 6));
        staleWords[w] = bits == 64 ? -1L : (1L << bits) - 1;
      }
      staleCount.set(pageCount);
      long bandwidthBytes = 0;
      long bandwidthNanos = 0;
      while (true) {
        runPass(0);
        if (abortReason != null) {
          abortNow();
          return;
        }
        checkFailure("during pass " + iteration);
        if (postCopyRequested) {
          postCopy();
          return;
        }
        long dirtyPages = mergeDirty();
        bandwidthBytes += passBytes;
        bandwidthNanos += passNanos;
        dirtyRate = passNanos <= 0 ? 0 : (long) (dirtyPages * (double) pageSize * 1e9 / passNanos);
        double bandwidth =
            bandwidthNanos <= 0 ? Double.MAX_VALUE : bandwidthBytes * 1e9 / bandwidthNanos;
        double remaining = (double) staleCount.get() * pageSize;
        double estimateNanos = bandwidth <= 0 ? Double.MAX_VALUE : remaining / bandwidth * 1e9;
        LOG.debug(
            "Migration {}: pass {} sent {} bytes in {} ms; {} pages dirty, estimated downtime"
                + " {} ms",
            uid,
            iteration,
            passBytes,
            passNanos / 1_000_000,
            dirtyPages,
            (long) (estimateNanos / 1e6));
        if (estimateNanos <= maxDowntimeNanos) {
          stopAndCopy();
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      failWith(e);
    } finally {
      closeConnections("the migration ended");
      releaseResources();
      completion.complete(progress());
    }
  }

  /** Merges the pages dirtied since the last look into the stale set; returns their count. */
  private long mergeDirty() {
    long[] dirty = memory.fetchDirtyPages().toLongArray();
    long added = 0;
    int n = Math.min(dirty.length, words);
    for (int w = 0; w < n; w++) {
      long fresh = dirty[w] & ~staleWords[w];
      if (w == words - 1 && (pageCount & 63) != 0) {
        fresh &= (1L << (pageCount & 63)) - 1;
      }
      staleWords[w] |= fresh;
      added += Long.bitCount(dirty[w]);
      staleCount.addAndGet(Long.bitCount(fresh));
    }
    return added;
  }

  /**
   * Sends every stale page once over all channels; ends early on a switch to post-copy or an abort
   * unless it is the final pass ({@code sync > 0}), which ends with a SYNC frame.
   */
  private void runPass(long sync) throws IOException {
    long pass = ++iteration;
    long bytesBefore = wireBytes.sum();
    long started = System.nanoTime();
    List<Future<?>> tasks = new ArrayList<>();
    for (int c = 0; c < channels; c++) {
      int channel = c;
      tasks.add(
          workers.submit(
              () -> {
                sendPass(channel, pass, sync);
                return null;
              }));
    }
    awaitAll(tasks, "during pass " + pass);
    passNanos = System.nanoTime() - started;
    passBytes = wireBytes.sum() - bytesBefore;
  }

  private void sendPass(int channel, long pass, long sync) throws IOException {
    FrameWriter writer = writers.get(channel);
    writer.control(Protocol.ITERATION, pass);
    boolean interruptible = sync == 0;
    for (int w : wordsOf[channel]) {
      long bits = staleWords[w];
      while (bits != 0) {
        if (stopping || (interruptible && postCopyRequested)) {
          writer.flush();
          return;
        }
        int bit = Long.numberOfTrailingZeros(bits);
        int index = (w << 6) + bit;
        sentCrc[index] = writer.page(index, memory);
        bits &= bits - 1;
        staleWords[w] &= ~(1L << bit);
        staleCount.decrementAndGet();
      }
    }
    if (sync > 0) {
      writer.control(Protocol.SYNC, sync);
    }
    writer.flush();
  }

  private void awaitAll(List<Future<?>> tasks, String where) throws IOException {
    IOException first = null;
    for (Future<?> task : tasks) {
      try {
        task.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stopping = true;
        first = first != null ? first : new TransferFailedException("interrupted " + where);
      } catch (ExecutionException e) {
        stopping = true;
        Throwable cause = e.getCause();
        if (first == null) {
          first =
              cause instanceof IOException io
                  ? io
                  : new TransferFailedException(Failures.describe(cause, where), cause);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private void checkFailure(String where) throws TransferFailedException {
    String error = targetError;
    if (error != null) {
      throw new TransferFailedException("the target failed: " + error);
    }
    String lost = lostBecause;
    if (lost != null) {
      throw new TransferFailedException(lost + " (" + where + ")");
    }
    if (stopping) {
      throw new TransferFailedException("stopped " + where);
    }
  }

  private void stopAndCopy() throws IOException {
    long pausedAt = System.nanoTime();
    memory.pause();
    paused = true;
    mergeDirty();
    long sync = ++syncSequence;
    runPass(sync);
    if (abortReason != null) {
      abortNow();
      return;
    }
    checkFailure("during stop-and-copy");
    FrameWriter control = writers.get(0);
    control.digest(sync, Protocol.digest(sentCrc));
    control.flush();
    await(Reply.VERIFIED, "waiting for the target to verify the memory");
    if (abortReason != null) {
      abortNow();
      return;
    }
    control.control(Protocol.GO);
    control.flush();
    committed = true;
    try {
      await(Reply.RUNNING, "waiting for the target to start");
    } catch (IOException e) {
      throw new TransferFailedException(
          "the target was told to start but did not confirm ("
              + e.getMessage()
              + "); the source stays paused: check the target before resuming",
          e);
    }
    downtime = Duration.ofNanos(System.nanoTime() - pausedAt);
    memory.stopDirtyLog();
    status = ProgressSample.Status.COMPLETED;
    finishChannels();
    LOG.info(
        "Migration {} completed in {} passes; downtime {} ms", uid, iteration, downtime.toMillis());
  }

  private void postCopy() throws IOException {
    long pausedAt = System.nanoTime();
    memory.pause();
    paused = true;
    mergeDirty();
    memory.stopDirtyLog();
    long sync = ++syncSequence;
    for (FrameWriter writer : writers) {
      writer.control(Protocol.SYNC, sync);
      writer.flush();
    }
    byte[] bitmap = new byte[(pageCount + 7) >>> 3];
    for (int w = 0; w < words; w++) {
      long bits = staleWords[w];
      for (int b = 0; b < 8 && (w << 3) + b < bitmap.length; b++) {
        bitmap[(w << 3) + b] = (byte) (bits >>> (b << 3));
      }
    }
    claimed = new AtomicLongArray(words);
    staleAtSwitch = staleCount.get();
    FrameWriter control = writers.get(0);
    control.postCopy(sync, bitmap);
    await(Reply.SWITCHED, "waiting for the target to start in post-copy");
    downtime = Duration.ofNanos(System.nanoTime() - pausedAt);
    mode = MigrationMode.POST_COPY;
    LOG.info(
        "Migration {} switched to post-copy after {} passes; downtime {} ms, {} pages to go",
        uid,
        iteration,
        downtime.toMillis(),
        staleCount.get());
    long push = ++iteration;
    long last = ++syncSequence;
    List<Future<?>> tasks = new ArrayList<>();
    for (int c = 0; c < channels; c++) {
      int channel = c;
      tasks.add(
          workers.submit(
              () -> {
                pushPostCopy(channel, push, last);
                return null;
              }));
    }
    awaitAll(tasks, "in post-copy");
    checkFailure("in post-copy");
    control.digest(last, Protocol.digest(sentCrc));
    control.flush();
    await(Reply.VERIFIED, "waiting for the target to verify the memory");
    status = ProgressSample.Status.COMPLETED;
    finishChannels();
    LOG.info("Migration {} completed in post-copy", uid);
  }

  private void pushPostCopy(int channel, long pass, long sync) throws IOException {
    FrameWriter writer = writers.get(channel);
    writer.control(Protocol.ITERATION, pass);
    for (int w : wordsOf[channel]) {
      long bits = staleWords[w];
      while (bits != 0) {
        serveRequests(writer);
        if (stopping) {
          throw new TransferFailedException(
              lostBecause != null ? lostBecause : "stopped in post-copy");
        }
        int bit = Long.numberOfTrailingZeros(bits);
        bits &= bits - 1;
        send(writer, (w << 6) + bit);
        if (flushRequested) {
          flushRequested = false;
          writer.flush();
        }
      }
    }
    serveRequests(writer);
    writer.control(Protocol.SYNC, sync);
    writer.flush();
  }

  private void serveRequests(FrameWriter writer) throws IOException {
    Integer index;
    boolean sent = false;
    while ((index = requests.poll()) != null) {
      if (send(writer, index)) {
        servedRequests.incrementAndGet();
        sent = true;
      } else {
        flushRequested = true;
      }
    }
    if (sent) {
      writer.flush();
    }
  }

  /** Sends a page that the target still lacks, once; returns whether this call sent it. */
  private boolean send(FrameWriter writer, int index) throws IOException {
    AtomicLongArray claims = Objects.requireNonNull(claimed);
    int w = index >>> 6;
    long bit = 1L << index;
    if ((staleWords[w] & bit) == 0) {
      return false;
    }
    long before = claims.getAndUpdate(w, v -> v | bit);
    if ((before & bit) != 0) {
      return false;
    }
    sentCrc[index] = writer.page(index, memory);
    staleCount.decrementAndGet();
    sentAfterSwitch.incrementAndGet();
    return true;
  }

  private void finishChannels() {
    for (FrameWriter writer : writers) {
      try {
        writer.control(Protocol.END);
        writer.flush();
      } catch (IOException e) {
        LOG.debug("Migration {}: closing {} failed", uid, writer.connection(), e);
      }
    }
  }

  private void await(Reply expected, String what) throws IOException {
    long deadline = System.nanoTime() + ioTimeout.toNanos();
    while (true) {
      if (expected == Reply.VERIFIED
          && abortReason != null
          && !committed
          && mode == MigrationMode.PRE_COPY) {
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
        String error = targetError;
        throw new TransferFailedException(
            error != null
                ? "the target failed: " + error
                : (lostBecause != null ? lostBecause : "lost the target") + " while " + what);
      }
      if (reply != null) {
        throw new TransferFailedException(
            "protocol error: the target answered " + reply + " while " + what);
      }
      if (System.nanoTime() > deadline) {
        throw new TransferFailedException(
            "read timeout: no answer from the target for "
                + ioTimeout.toMillis()
                + " ms while "
                + what);
      }
    }
  }

  private void readReturnPath() {
    Connection connection = connections.get(0);
    FrameReader reader = new FrameReader(connection, 512, false);
    try {
      while (true) {
        byte type = reader.next();
        switch (type) {
          case Protocol.REQUEST -> {
            reader.require(1 + 4);
            int index = reader.getInt(1);
            reader.seal(1 + 4);
            requestPage(index);
          }
          case Protocol.VERIFIED -> {
            reader.seal(1);
            replies.add(Reply.VERIFIED);
          }
          case Protocol.RUNNING -> {
            reader.seal(1);
            replies.add(Reply.RUNNING);
          }
          case Protocol.SWITCHED -> {
            reader.seal(1);
            replies.add(Reply.SWITCHED);
          }
          case Protocol.ERROR -> {
            targetError = reader.text();
            stopping = true;
            LOG.warn("Migration {}: the target failed: {}", uid, targetError);
          }
          default ->
              throw new ProtocolException(
                  "corrupt frame from the target: unknown type " + Protocol.describeType(type));
        }
      }
    } catch (IOException | RuntimeException e) {
      if (status == ProgressSample.Status.ACTIVE) {
        if (lostBecause == null && targetError == null) {
          lostBecause = Failures.describe(e, "on the return path from the target");
        }
        stopping = true;
        replies.add(Reply.LOST);
        if (targetError != null || lostBecause != null) {
          closeConnections(targetError != null ? "the target failed" : "lost the target");
        }
      }
    }
  }

  private void requestPage(int index) throws ProtocolException {
    if (index < 0 || index >= pageCount) {
      throw new ProtocolException(
          "corrupt frame from the target: page request for index "
              + index
              + " outside [0, "
              + pageCount
              + ")");
    }
    if (mode == MigrationMode.POST_COPY || claimed != null) {
      requests.add(index);
    }
  }

  private void abortNow() {
    String reason = Objects.requireNonNullElse(abortReason, "aborted");
    try {
      FrameWriter control = writers.get(0);
      control.text(Protocol.ABORT, reason);
      control.flush();
    } catch (IOException | RuntimeException e) {
      LOG.debug("Migration {}: telling the target about the abort failed", uid, e);
    }
    closeConnections("aborted: " + reason);
    restoreSource();
    failure = "aborted: " + reason;
    status = ProgressSample.Status.FAILED;
    LOG.info("Migration {} aborted: {}; the source runs on", uid, reason);
  }

  private void failWith(Throwable e) {
    stopping = true;
    // Give the return path a moment to deliver the target's own reason.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    Thread reader = returnPath;
    while (targetError == null
        && reader != null
        && reader.isAlive()
        && System.nanoTime() < deadline
        && !(e instanceof ProtocolException)) {
      try {
        reader.join(20);
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    String reason;
    String error = targetError;
    String lost = lostBecause;
    if (error != null) {
      reason = "the target failed: " + error;
    } else if (e instanceof TransferFailedException) {
      reason = e.getMessage();
    } else if (lost != null) {
      reason = lost + " (" + where() + ")";
    } else {
      reason = Failures.describe(e, where());
    }
    closeConnections(reason);
    if (mode == MigrationMode.POST_COPY) {
      reason = "post-copy broke: " + reason + "; the source holds only part of the guest's state";
    } else if (committed) {
      reason = reason + " (after the commit)";
    } else {
      restoreSource();
    }
    failure = reason;
    status = ProgressSample.Status.FAILED;
    LOG.warn("Migration {} failed: {}", uid, reason);
  }

  private String where() {
    return mode == MigrationMode.POST_COPY
        ? "in post-copy"
        : paused ? "during stop-and-copy" : "during pass " + iteration;
  }

  /** Leaves the source as it was: logging off, throttle lifted, running. */
  private void restoreSource() {
    try {
      memory.stopDirtyLog();
      if (throttle != 0) {
        memory.throttle(0);
        throttle = 0;
      }
    } finally {
      if (paused) {
        paused = false;
        memory.resume();
      }
    }
  }

  /** Pages sent at the target's request in post-copy. */
  long servedRequests() {
    return servedRequests.get();
  }

  /** Pages sent after the switch to post-copy, on request or pushed. */
  long sentAfterSwitch() {
    return sentAfterSwitch.get();
  }

  /** Pages the target lacked at the switch to post-copy. */
  long staleAtSwitch() {
    return staleAtSwitch;
  }

  /** The source memory's optional downtime, for tests. */
  Optional<Duration> downtime() {
    return Optional.ofNullable(downtime);
  }
}
