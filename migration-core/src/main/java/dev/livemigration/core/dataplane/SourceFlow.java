package dev.livemigration.core.dataplane;

import dev.livemigration.api.GuestLocation;
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
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator of an {@link OutgoingMigration}: runs pre-copy passes until the rest fits the
 * downtime and stopped falling ({@link SwitchoverPoint}), then stop-and-copy, verification and the
 * go-ahead; or, on request, the switch to post-copy and the push. Ends it as docs/ARCHITECTURE.md,
 * "The data plane's commit protocol", says: before the go-ahead a failure resumes the source; at or
 * after it the source asks the target where the guest runs ({@link OutcomeQuery}) and reports that.
 * In post-copy (once the target confirmed the switch) a broken link is first reconnected ({@link
 * LinkRecovery}) within the recovery budget, and the push goes on where it stopped.
 */
final class SourceFlow implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(OutgoingMigration.class);
  private static final Duration MIN_QUERY_PATIENCE = Duration.ofSeconds(2);

  /** What the flow needs of its migration's connections and lifecycle. */
  interface Link {
    void closeConnections(String because);

    /** The flow ended: release the threads and connections, complete the migration. */
    void end();

    /** One attempt to resume a broken post-copy link (its connections closed), within bound. */
    Resumed resume(Duration bound) throws IOException;
  }

  /** A resumed link: its return path and reader (started), and the pages the target has. */
  record Resumed(ReturnPath path, Thread reader, byte[] present) {}

  private final String uid;
  private final String token;
  private final String name;
  private final MigrationTransport transport;
  private final InetSocketAddress target;
  private final MigratableMemory memory;
  private final int pageSize;
  private final Duration ioTimeout;
  private final Duration recoveryBudget;
  private final List<FrameWriter> writers;
  private final PageSender pages;
  private ReturnPath path;
  private Thread returnReader;
  private final SourceState state;
  private final SwitchoverPoint switchover;
  private final Link link;
  private long syncSequence;

  SourceFlow(
      String uid,
      String token,
      String name,
      MigrationTransport transport,
      InetSocketAddress target,
      MigratableMemory memory,
      Duration ioTimeout,
      Duration recoveryBudget,
      List<FrameWriter> writers,
      PageSender pages,
      ReturnPath path,
      Thread returnReader,
      SourceState state,
      SwitchoverPoint switchover,
      Link link) {
    this.uid = uid;
    this.token = token;
    this.name = name;
    this.transport = transport;
    this.target = target;
    this.memory = memory;
    this.pageSize = memory.pageSize();
    this.ioTimeout = ioTimeout;
    this.recoveryBudget = recoveryBudget;
    this.writers = writers;
    this.pages = pages;
    this.path = path;
    this.returnReader = returnReader;
    this.state = state;
    this.switchover = switchover;
    this.link = link;
  }

  @Override
  public void run() {
    try {
      memory.startDirtyLog();
      pages.allStale();
      long startNanos = System.nanoTime();
      while (true) {
        long passStart = pages.staleCount() * pageSize;
        pages.runPass(0);
        if (state.abortReason != null) {
          abortNow();
          return;
        }
        checkFailure("during pass " + pages.iteration());
        if (state.postCopyRequested) {
          postCopy();
          return;
        }
        if (state.pauseRequested) {
          // Directive.PauseGuest paused the guest already: what is stale is the final pass.
          LOG.info(
              "Migration {}: the guest is paused on the source; sending the rest ({} pages)",
              uid,
              pages.staleCount());
          stopAndCopy();
          return;
        }
        long dirtyPages = pages.mergeDirty();
        state.dirtyRate = pages.dirtyRate(dirtyPages);
        long remaining = pages.staleCount() * pageSize;
        SwitchoverPoint.Decision decision =
            switchover.atPassEnd(
                passStart,
                remaining,
                pages.bandwidth(),
                Duration.ofNanos(state.maxDowntimeNanos),
                Duration.ofNanos(System.nanoTime() - startNanos));
        LOG.debug(
            "Migration {}: pass {} left {} bytes ({} dirty pages) at {} bytes/s, trend {}: {}",
            uid,
            pages.iteration(),
            remaining,
            dirtyPages,
            (long) pages.bandwidth(),
            switchover.trend(),
            decision.reason());
        if (decision.switches()) {
          stopAndCopy();
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      failWith(e);
    } finally {
      path.over();
      link.closeConnections("the migration ended");
      link.end();
    }
  }

  private void checkFailure(String where) throws TransferFailedException {
    String error = path.targetError();
    if (error != null) {
      throw new TransferFailedException("the target failed: " + error);
    }
    String lost = path.lostBecause();
    if (lost != null) {
      throw new TransferFailedException(lost + " (" + where + ")");
    }
    if (state.stopping) {
      throw new TransferFailedException("stopped " + where);
    }
  }

  private void stopAndCopy() throws IOException {
    state.pause(memory);
    pages.mergeDirty();
    long sync = ++syncSequence;
    pages.runPass(sync);
    if (state.abortReason != null) {
      abortNow();
      return;
    }
    checkFailure("during stop-and-copy");
    FrameWriter control = writers.get(0);
    byte[] digest = pages.digest();
    path.permitVerification(sync, digest);
    control.digest(sync, digest);
    control.flush();
    path.await(
        ReturnPath.Reply.VERIFIED,
        "waiting for the target to verify the memory",
        ioTimeout,
        () -> state.abortReason != null);
    if (state.abortReason != null) {
      abortNow();
      return;
    }
    // The go-ahead: from the first byte of GO on, the target may run the guest.
    state.committed = true;
    path.permit(ReturnPath.Reply.RUNNING);
    control.control(Protocol.GO);
    control.flush();
    path.await(ReturnPath.Reply.RUNNING, "waiting for the target to start", ioTimeout, () -> false);
    completed("completed in " + pages.iteration() + " passes");
  }

  private void postCopy() throws IOException {
    state.pause(memory);
    pages.mergeDirty();
    memory.stopDirtyLog();
    long sync = ++syncSequence;
    for (FrameWriter writer : writers) {
      writer.control(Protocol.SYNC, sync);
      writer.flush();
    }
    byte[] bitmap = pages.staleBitmap();
    pages.startPostCopy(path);
    state.staleAtSwitch = pages.staleCount();
    FrameWriter control = writers.get(0);
    // The go-ahead: the target starts the guest when it reads POSTCOPY.
    state.committed = true;
    path.permit(ReturnPath.Reply.SWITCHED);
    path.serve();
    control.postCopy(sync, bitmap);
    path.await(
        ReturnPath.Reply.SWITCHED,
        "waiting for the target to start in post-copy",
        ioTimeout,
        () -> false);
    state.downtime = Duration.ofNanos(System.nanoTime() - state.pausedAtNanos);
    state.mode = MigrationMode.POST_COPY;
    LOG.info(
        "Migration {} switched to post-copy after {} passes; downtime {} ms, {} pages to go",
        uid,
        pages.iteration(),
        state.downtime.toMillis(),
        pages.staleCount());
    while (true) {
      try {
        long push = pages.nextIteration();
        long last = ++syncSequence;
        pages.pushAll(push, last);
        checkFailure("in post-copy");
        byte[] digest = pages.digest();
        FrameWriter channel0 = writers.get(0);
        path.permitVerification(last, digest);
        channel0.digest(last, digest);
        channel0.flush();
        path.await(
            ReturnPath.Reply.VERIFIED,
            "waiting for the target to verify the memory",
            ioTimeout,
            () -> false);
        completed(
            "completed in post-copy"
                + (state.linkRecoveries > 0
                    ? " after " + state.linkRecoveries + " link recover(ies)"
                    : ""));
        return;
      } catch (IOException e) {
        if (recoveryBudget.isZero() || e instanceof ProtocolException || path.targetAtFault()) {
          throw e;
        }
        String lost = path.lostBecause();
        recover(lost != null ? lost : Failures.describe(e, "in post-copy"));
      }
    }
  }

  /**
   * The post-copy link broke: pauses, reconnects within the budget and resumes the push.
   *
   * @throws IOException if the budget ran out or the agent refused to resume
   */
  private void recover(String cause) throws IOException {
    state.linkFailure = cause;
    state.reconnectAttempts = 0;
    state.mode = MigrationMode.POST_COPY_PAUSED;
    LOG.warn(
        "Migration {}: the post-copy link broke ({}); the guest on the target waits for its pages"
            + " while the source reconnects (budget {} ms)",
        uid,
        cause,
        recoveryBudget.toMillis());
    path.over();
    link.closeConnections("post-copy paused: " + cause);
    // No page is being sent now (the push ended); the old return path ends with its connection.
    state.stopping = false;
    Resumed resumed;
    try {
      resumed =
          LinkRecovery.reconnect(
              uid,
              cause,
              recoveryBudget,
              attempt -> state.reconnectAttempts = attempt,
              bound -> {
                state.stopping = false;
                return link.resume(bound);
              });
    } catch (IOException e) {
      state.mode = MigrationMode.POST_COPY;
      state.linkFailure = null;
      throw e;
    }
    path = resumed.path();
    returnReader = resumed.reader();
    pages.resume(resumed.path(), resumed.present());
    state.stopping = false;
    state.lastLinkFailure = cause;
    state.lastRecoveryAttempts = state.reconnectAttempts;
    state.linkRecoveries++;
    state.mode = MigrationMode.POST_COPY;
    state.linkFailure = null;
    LOG.info(
        "Migration {}: the post-copy link is resumed after {} attempt(s); {} pages to go",
        uid,
        state.reconnectAttempts,
        pages.staleCount());
    state.reconnectAttempts = 0;
  }

  private void completed(String how) {
    if (state.downtime == null) {
      state.downtime = Duration.ofNanos(System.nanoTime() - state.pausedAtNanos);
    }
    if (!state.mode.isPostCopy()) {
      memory.stopDirtyLog();
    }
    state.location = GuestLocation.TARGET;
    state.status = ProgressSample.Status.COMPLETED;
    path.over();
    finishChannels();
    LOG.info("Migration {} {}; downtime {} ms", uid, how, state.downtime.toMillis());
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

  private void abortNow() {
    String reason = Objects.requireNonNullElse(state.abortReason, "aborted");
    try {
      FrameWriter control = writers.get(0);
      control.text(Protocol.ABORT, reason);
      control.flush();
    } catch (IOException | RuntimeException e) {
      LOG.debug("Migration {}: telling the target about the abort failed", uid, e);
    }
    path.over();
    link.closeConnections("aborted: " + reason);
    restoreSource();
    state.failure = "aborted: " + reason + resumedAfterPause();
    state.location = GuestLocation.SOURCE;
    state.status = ProgressSample.Status.FAILED;
    LOG.info("Migration {} aborted: {}; the source runs on", uid, reason);
  }

  private void failWith(Throwable e) {
    state.stopping = true;
    ReturnPath path = this.path;
    // Give the return path a moment to deliver the target's own reason.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    Thread reader = returnReader;
    while (path.targetError() == null
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
    String error = path.targetError();
    String lost = path.lostBecause();
    if (error != null) {
      reason = "the target failed: " + error;
    } else if (e instanceof TransferFailedException) {
      reason = e.getMessage();
    } else if (lost != null) {
      reason = lost + " (" + where() + ")";
    } else {
      reason = Failures.describe(e, where());
    }
    path.over();
    link.closeConnections(reason);
    if (!state.committed) {
      restoreSource();
      state.failure = reason + resumedAfterPause();
      state.location = GuestLocation.SOURCE;
      state.status = ProgressSample.Status.FAILED;
      LOG.warn("Migration {} failed before the go-ahead: {}; the source runs on", uid, reason);
      return;
    }
    settleInDoubt(reason);
  }

  /** The link broke at or after the go-ahead: asks the target where the guest runs, and says so. */
  private void settleInDoubt(String cause) {
    String where = transport.id() + "://" + target;
    Duration patience = ioTimeout.multipliedBy(2);
    if (patience.compareTo(MIN_QUERY_PATIENCE) < 0) {
      patience = MIN_QUERY_PATIENCE;
    }
    LOG.warn(
        "Migration {}: the link broke after the go-ahead ({}); asking {} where the guest runs",
        uid,
        cause,
        where);
    Verdict verdict;
    try {
      verdict = OutcomeQuery.ask(transport, target, uid, token, patience, name);
    } catch (TransferFailedException unanswered) {
      verdict = Verdict.unknown("it could not be asked: " + unanswered.getMessage());
    }
    switch (verdict.kind()) {
      case RUNNING -> {
        LOG.warn(
            "Migration {}: the target's confirmation was lost ({}), but asked, it runs the guest",
            uid,
            cause);
        completed("completed (confirmed by asking the target)");
        return;
      }
      case NOT_STARTED -> {
        restoreSource();
        state.location = GuestLocation.SOURCE;
        state.failure =
            cause
                + "; after the go-ahead, but the target proved that the guest did not start there ("
                + verdict.reason()
                + "), so the source resumed it";
      }
      case PAGES_LOST -> {
        state.location = GuestLocation.UNKNOWN;
        state.failure =
            "post-copy broke ("
                + cause
                + "): the guest started on the target, which lost "
                + verdict.lostPages()
                + " of "
                + verdict.pageCount()
                + " pages that it had not received yet ("
                + verdict.reason()
                + "); the source stays paused (its state is older than what ran on the target):"
                + " an operator must decide which side to keep";
      }
      case UNKNOWN -> {
        state.location = GuestLocation.UNKNOWN;
        state.failure =
            "the guest's location is unknown: the link broke at or after the go-ahead ("
                + cause
                + ") and the target at "
                + where
                + " did not say whether it runs the guest ("
                + verdict.reason()
                + "); the source stays paused: an operator must check the target before"
                + " resuming either side";
      }
    }
    state.status = ProgressSample.Status.FAILED;
    LOG.warn("Migration {} failed: {}", uid, state.failure);
  }

  private String resumedAfterPause() {
    return state.mode == MigrationMode.PAUSED
        ? " (the guest had been paused for the copy; it runs on the source again)"
        : "";
  }

  private String where() {
    return state.mode.isPostCopy()
        ? "in post-copy"
        : state.mode == MigrationMode.PAUSED
            ? "while the guest was paused"
            : state.paused ? "during stop-and-copy" : "during pass " + pages.iteration();
  }

  /** Leaves the source as it was: logging off, throttle lifted, running. */
  private void restoreSource() {
    try {
      memory.stopDirtyLog();
      if (state.throttle != 0) {
        memory.throttle(0);
        state.throttle = 0;
      }
    } finally {
      state.resume(memory);
    }
  }
}
