package dev.livemigration.core.dataplane;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationCompression;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigratableMemory;
import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.core.SwitchoverPoint;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source side of one migration of the data plane: moves a {@link MigratableMemory} to a {@link
 * TargetAgent} that expects it, while the memory keeps changing.
 *
 * <p>Pre-copy sends every page, then, pass after pass, the pages dirtied since; once the remaining
 * dirty bytes at the measured bandwidth fit the maximum downtime and stopped falling (a local
 * minimum of the expected downtime, see {@link SwitchoverPoint#localMinimum()}), it pauses the
 * memory, sends the rest, has the target verify the digest of every page, gives the go-ahead and
 * has the target confirm that it started, and reports the downtime. {@link
 * Directive.SwitchToPostCopy} instead pauses the source at once, gives the go-ahead (the target
 * starts), and pushes the remaining pages while serving the target's page requests first.
 *
 * <p>In post-copy, a broken or silent link does not fail the migration: it pauses (samples say
 * {@link MigrationMode#POST_COPY_PAUSED}, why, and how many reconnects were tried), the source
 * keeps every page, reconnects with back-off to the same agent, authenticated with the migration's
 * resume token, learns which pages the target has and sends the others; samples then say {@link
 * MigrationMode#POST_COPY} again, one more link recovery. When {@link
 * TransferOptions#postCopyRecoveryBudget()} runs out first, or the agent refuses for good, the
 * migration ends as a broken post-copy does (below): the guest on the target is lost.
 *
 * <p>The go-ahead is the commit point (docs/ARCHITECTURE.md, "The data plane's commit protocol").
 * Before it, a failure or an abort resumes the source memory untouched. At or after it, a broken
 * link makes the source ask the target agent, over a new connection, where the guest runs, and
 * report that: COMPLETED when the target runs it; FAILED with the source resumed only when the
 * target proved it did not start; otherwise FAILED with the source paused and a reason that says
 * the guest's location is unknown, or that the target lost pages, and that an operator must decide.
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
  /**
   * How long {@link #close()} waits, at most, for a migration past its go-ahead (a guest that
   * depends on this link) to end: 5 minutes.
   */
  public static final Duration CLOSE_AFTER_GO_AHEAD_BOUND = Duration.ofMinutes(5);

  private static final Logger LOG = LoggerFactory.getLogger(OutgoingMigration.class);
  private static final AtomicInteger IDS = new AtomicInteger();

  private final String uid;
  private final String token;
  private final MigrationTransport transport;
  private final InetSocketAddress target;
  private final MigratableMemory memory;
  private final int pageSize;
  private final int pageCount;
  private final int channels;
  private final Duration ioTimeout;
  private final boolean compressed;
  private final String name;
  private final Duration recoveryBudget;
  private final SourceChannels links;
  private final TokenBucket bucket;
  private final LongAdder wireBytes = new LongAdder();
  private final Watchdog watchdog;
  private final ExecutorService workers;
  private final PageSender pages;
  private final SourceState state = new SourceState();
  private final CompletableFuture<ProgressSample> completion = new CompletableFuture<>();
  private final long startNanos = System.nanoTime();
  private volatile @Nullable ReturnPath returnPath;
  private @Nullable Thread coordinator;
  private volatile @Nullable Thread returnReader;

  private final SourceProgress progress;
  private final SwitchoverPoint switchover;

  private OutgoingMigration(
      String uid,
      String token,
      MigrationTransport transport,
      MigratableMemory memory,
      TransferOptions options,
      ChannelRouting routing,
      SwitchoverPoint switchover) {
    this.uid = uid;
    this.switchover = switchover;
    this.token = token;
    this.transport = transport;
    this.target = routing.targets().get(0);
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
    this.ioTimeout = options.ioTimeout();
    this.compressed = options.compression() == MigrationCompression.ZSTD;
    this.state.maxDowntimeNanos = options.maxDowntime().toNanos();
    this.name = "lm-dataplane-out-" + IDS.incrementAndGet();
    this.bucket = new TokenBucket(options.bandwidth());
    this.recoveryBudget = options.postCopyRecoveryBudget();
    this.watchdog = new Watchdog(name + "-watchdog");
    this.links =
        new SourceChannels(
            uid,
            token,
            transport,
            routing,
            options.channels(),
            channels,
            pageSize,
            pageCount,
            options,
            bucket,
            wireBytes,
            () -> state.stopping,
            watchdog,
            this::stalled);
    AtomicInteger threads = new AtomicInteger();
    this.workers =
        Executors.newFixedThreadPool(
            channels,
            runnable -> {
              Thread thread = new Thread(runnable, name + "-channel-" + threads.getAndIncrement());
              thread.setDaemon(true);
              return thread;
            });
    this.pages =
        new PageSender(
            memory,
            routing.partition((pageCount + 63) >>> 6, options.channels()),
            links.writers(),
            workers,
            wireBytes,
            () -> state.stopping,
            () -> state.postCopyRequested || state.pauseRequested,
            () -> state.stopping = true);
    this.progress = new SourceProgress(state, pages, wireBytes, pageSize, pageCount, startNanos);
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
    return start(
        memory,
        transport,
        uid,
        token,
        options,
        new ChannelRouting(List.of(target), -1, 0),
        SwitchoverPoint.localMinimum());
  }

  static OutgoingMigration start(
      MigratableMemory memory,
      MigrationTransport transport,
      String uid,
      String token,
      TransferOptions options,
      ChannelRouting routing,
      SwitchoverPoint switchover)
      throws TransferFailedException {
    if (options.compression() == MigrationCompression.ZSTD) {
      String unavailable = ZstdFrames.unavailable();
      if (unavailable != null) {
        throw new TransferFailedException(unavailable);
      }
    }
    OutgoingMigration migration =
        new OutgoingMigration(uid, token, transport, memory, options, routing, switchover);
    InetSocketAddress target = routing.targets().get(0);
    try {
      migration.links.connect();
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

  private void launch() {
    ReturnPath path = new ReturnPath(uid, links.control(), pageCount, this::broken);
    returnPath = path;
    Thread reader = new Thread(path, name + "-return");
    reader.setDaemon(true);
    returnReader = reader;
    SourceFlow flow =
        new SourceFlow(
            uid,
            token,
            name,
            transport,
            target,
            memory,
            ioTimeout,
            recoveryBudget,
            links.writers(),
            pages,
            path,
            reader,
            state,
            switchover,
            new SourceFlow.Link() {
              @Override
              public void closeConnections(String because) {
                OutgoingMigration.this.closeConnections(because);
              }

              @Override
              public void end() {
                releaseResources();
                completion.complete(progress());
              }

              @Override
              public SourceFlow.Resumed resume(Duration bound) throws IOException {
                return resumeLink(bound);
              }
            });
    Thread main = new Thread(flow, name);
    main.setDaemon(true);
    coordinator = main;
    reader.start();
    main.start();
  }

  /** One attempt to resume the post-copy link: new channels, a new return path. */
  private SourceFlow.Resumed resumeLink(Duration bound) throws IOException {
    join(returnReader);
    byte[] present = links.resume(bound);
    ReturnPath path = new ReturnPath(uid, links.control(), pageCount, this::broken);
    path.serve();
    Thread reader = new Thread(path, name + "-return");
    reader.setDaemon(true);
    returnPath = path;
    returnReader = reader;
    reader.start();
    return new SourceFlow.Resumed(path, reader, present);
  }

  // ---------------------------------------------------------------- public controls

  /** The migration's uid. */
  public String uid() {
    return uid;
  }

  /** Returns the migration's progress now. */
  public ProgressSample progress() {
    return progress.sample();
  }

  /**
   * Applies a strategy's directive: throttle the memory, change the downtime or bandwidth, switch
   * to post-copy, pause the guest, or abort.
   *
   * <p>{@link Directive.PauseGuest} (KubeVirt's {@code Paused} mode) pauses the source memory at
   * once, so that it dirties nothing more; the pass in progress ends early and what is stale goes
   * in the final pass, whatever the downtime limit. Samples say {@link MigrationMode#PAUSED} from
   * then on; the downtime reported is the time the guest was paused. An abort or a broken link
   * before the go-ahead resumes the guest on the source (guest location SOURCE). It is ignored in
   * post-copy, once the switch to post-copy was asked for, during stop-and-copy (the guest is
   * paused already) and after the end.
   */
  public void apply(Directive directive) {
    if (directive instanceof Directive.Throttle t) {
      state.throttle = t.percent();
      memory.throttle(t.percent());
    } else if (directive instanceof Directive.SetMaxDowntime d) {
      state.maxDowntimeNanos = d.maxDowntime().toNanos();
      LOG.debug("Migration {}: maximum downtime now {} ms", uid, d.maxDowntime().toMillis());
    } else if (directive instanceof Directive.SetBandwidth b) {
      bucket.setRate(b.bytesPerSecond());
    } else if (directive instanceof Directive.SwitchToPostCopy) {
      if (state.mode == MigrationMode.PRE_COPY && !state.committed && !state.pauseRequested) {
        state.postCopyRequested = true;
      }
    } else if (directive instanceof Directive.PauseGuest) {
      pauseGuest();
    } else if (directive instanceof Directive.Abort a) {
      abort(a.reason());
    }
  }

  private void pauseGuest() {
    if (state.status != ProgressSample.Status.ACTIVE
        || state.committed
        || state.postCopyRequested
        || state.mode != MigrationMode.PRE_COPY
        || state.abortReason != null) {
      LOG.debug("Migration {}: PauseGuest ignored ({}, {})", uid, state.status, state.mode);
      return;
    }
    if (!state.pause(memory)) {
      LOG.debug("Migration {}: PauseGuest ignored: the guest is paused already", uid);
      return;
    }
    state.mode = MigrationMode.PAUSED;
    state.pauseRequested = true;
    LOG.info(
        "Migration {}: the guest is paused on the source (PauseGuest) so that the copy completes",
        uid);
  }

  /**
   * Stops the migration and resumes the source memory, unless the go-ahead was given or the switch
   * to post-copy requested (then the migration goes on). Idempotent.
   */
  public void abort(String reason) {
    if (state.status != ProgressSample.Status.ACTIVE
        || state.committed
        || state.postCopyRequested
        || state.mode.isPostCopy()) {
      LOG.debug("Migration {}: abort ignored ({}, {})", uid, state.status, state.mode);
      return;
    }
    if (state.abortReason == null) {
      state.abortReason = reason;
    }
    state.stopping = true;
  }

  /** Completes with the final sample (COMPLETED or FAILED); never exceptionally. */
  public CompletableFuture<ProgressSample> completion() {
    return completion.copy();
  }

  /**
   * Ends the migration and releases its threads and connections. Idempotent.
   *
   * <p>Before the go-ahead it aborts the migration (the source resumes) and waits up to the I/O
   * timeout + 5 s for that. Past the go-ahead — in post-copy, or while the outcome is being asked
   * for — a guest on the target depends on this link, so it does not cut it: it waits for the
   * migration to end (a stalled link still fails after the I/O timeout), at most {@link
   * #CLOSE_AFTER_GO_AHEAD_BOUND}; only after that bound it cuts the link, and the target's guest
   * loses the pages it did not have (the target reports how many).
   */
  @Override
  public void close() {
    abort("the migration was closed");
    Duration first = ioTimeout.plusSeconds(5);
    if (!awaitCompletion(first) && (state.committed || state.postCopyRequested)) {
      LOG.warn(
          "Migration {}: closing while the guest on the target depends on it; waiting up to {}",
          uid,
          CLOSE_AFTER_GO_AHEAD_BOUND);
      awaitCompletion(CLOSE_AFTER_GO_AHEAD_BOUND.minus(first));
    }
    if (!completion.isDone()) {
      LOG.warn("Migration {}: did not end in time; closing its connections", uid);
    }
    closeConnections("the migration was closed");
    releaseResources();
    join(coordinator);
    join(returnReader);
  }

  private boolean awaitCompletion(Duration bound) {
    try {
      completion.get(bound.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    } catch (ExecutionException | TimeoutException e) {
      return completion.isDone();
    }
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
    links.cancel();
    watchdog.close();
    workers.shutdown();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (workers.isTerminated()) {
      // No thread writes any more: release the compressors' native memory.
      links.release("the migration ended");
    } else {
      closeConnections("the migration ended");
    }
  }

  private void closeConnections(String because) {
    links.closeAll(because);
  }

  private void stalled(String reason) {
    ReturnPath path = returnPath;
    if (path != null) {
      path.lost(reason);
    }
    broken(reason);
  }

  private void broken(String reason) {
    state.stopping = true;
    closeConnections(reason);
  }

  /** Pages sent at the target's request in post-copy. */
  long servedRequests() {
    return pages.servedRequests();
  }

  /** Pages sent again after a resumed link because the target lacked them. */
  long resent() {
    return pages.resent();
  }

  /** Pages sent after the switch to post-copy, on request or pushed. */
  long sentAfterSwitch() {
    return pages.sentAfterSwitch();
  }

  /** Pages the target lacked at the switch to post-copy. */
  long staleAtSwitch() {
    return state.staleAtSwitch;
  }

  /** The source memory's optional downtime, for tests. */
  Optional<Duration> downtime() {
    return Optional.ofNullable(state.downtime);
  }
}
