package dev.livemigration.core.dataplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The post-copy side of an {@link IncomingMigration}: the switch to post-copy, the guest's page
 * requests to the source, the pause of a broken link and its resumption over new connections.
 *
 * <p>Shares its migration's monitor: the migration's state and connections, and this link's own
 * fields, are guarded by the migration.
 */
final class PostCopyLink {
  private static final Logger LOG = LoggerFactory.getLogger(IncomingMigration.class);

  private final IncomingMigration migration;
  private final Duration recoveryWait;
  private final String resumeToken;
  private final LongAdder duplicates = new LongAdder();

  // Guarded by the migration.
  private @Nullable AtomicLongArray requested;
  private int resumes;
  private Watchdog.@Nullable Group pauseDeadline;

  PostCopyLink(IncomingMigration migration, String resumeToken, Duration recoveryWait) {
    this.migration = migration;
    this.resumeToken = resumeToken;
    this.recoveryWait = recoveryWait;
  }

  boolean resumeTokenMatches(String offered) {
    return MessageDigest.isEqual(
        offered.getBytes(StandardCharsets.UTF_8), resumeToken.getBytes(StandardCharsets.UTF_8));
  }

  /** Whether a broken post-copy link pauses the migration rather than failing it. */
  boolean pausable() {
    return !recoveryWait.isZero();
  }

  /** A page that arrived in post-copy although the target had it: dropped. */
  void duplicate() {
    duplicates.increment();
  }

  long duplicates() {
    return duplicates.sum();
  }

  int resumes() {
    synchronized (migration) {
      return resumes;
    }
  }

  /** The migration fails: no source resumes any more. Called under the migration's monitor. */
  void cancelPauseDeadline() {
    if (pauseDeadline != null) {
      pauseDeadline.cancel();
    }
  }

  /** The go-ahead in post-copy: the guest starts here before all its pages arrived. */
  void switchToPostCopy(long sequence, byte[] bitmap) throws IOException {
    IncomingMigration m = migration;
    m.awaitSync(sequence);
    int pageCount = m.pageCount;
    for (int bit = pageCount; bit < bitmap.length * 8; bit++) {
      if ((bitmap[bit >>> 3] & (1 << (bit & 7))) != 0) {
        throw new ProtocolException(
            "corrupt frame: the post-copy bitmap names page " + bit + " beyond the memory");
      }
    }
    synchronized (m) {
      if (m.state != IncomingMigration.State.RECEIVING) {
        throw new ProtocolException("corrupt frame: a POSTCOPY frame in state " + m.state);
      }
      for (int index = 0; index < pageCount; index++) {
        if ((bitmap[index >>> 3] & (1 << (index & 7))) != 0) {
          m.memory.discardPage(index);
        }
      }
      requested = new AtomicLongArray((pageCount + 63) >>> 6);
      m.state = IncomingMigration.State.POST_COPY;
      m.postCopy = true;
      // Activated under the lock, so that an outcome query sees either "not started" or the guest.
      m.memory.demandPaging(this::requestPage);
      m.memory.activate();
    }
    m.reply(Protocol.SWITCHED);
    LOG.info("Migration {} switched to post-copy: the guest runs here", Protocol.printable(m.uid));
  }

  /**
   * The guest lacks a page: asks the source for it, once. While the link is paused, asks nothing:
   * the guest's access waits and asks again (every 100 ms, {@link PagedMemory}), and a resumed link
   * starts with nothing asked.
   */
  private void requestPage(int index) {
    IncomingMigration m = migration;
    AtomicLongArray asked;
    FrameWriter writer;
    int epochOf;
    synchronized (m) {
      asked = requested;
      writer = m.back;
      epochOf = m.epoch;
      if (m.state == IncomingMigration.State.FAILED) {
        throw new UncheckedIOException(
            new TransferFailedException(
                "post-copy: the link to the source is lost; page " + index + " cannot be fetched"));
      }
      if (m.state != IncomingMigration.State.POST_COPY || writer == null) {
        return;
      }
    }
    if (asked == null || index < 0 || index >= m.pageCount) {
      return;
    }
    long bit = 1L << index;
    if ((asked.getAndUpdate(index >>> 6, v -> v | bit) & bit) != 0) {
      return;
    }
    try {
      synchronized (writer) {
        writer.request(index);
        writer.flush();
      }
    } catch (IOException e) {
      // The link broke: the guest asks again once it is resumed (or fails with the migration).
      asked.getAndUpdate(index >>> 6, v -> v & ~bit);
      String reason = Failures.describe(e, "asking the source for page " + index);
      m.agent.execute(() -> m.lost(reason, true, epochOf));
    }
  }

  /**
   * Pauses post-copy: closes the epoch's connections; the guest runs on and waits for the pages it
   * lacks until a source resumes, for at most the recovery wait.
   */
  void pause(String reason) {
    IncomingMigration m = migration;
    Connection[] open;
    synchronized (m) {
      if (m.state != IncomingMigration.State.POST_COPY) {
        return;
      }
      m.state = IncomingMigration.State.POST_COPY_PAUSED;
      open = m.connections == null ? new Connection[0] : m.connections.clone();
      m.back = null;
      if (m.group != null) {
        m.group.cancel();
        m.group = null;
      }
      pauseDeadline =
          m.agent
              .watchdog()
              .watch(
                  Duration.ofDays(365),
                  recoveryWait,
                  stall ->
                      m.agent.execute(
                          () ->
                              m.fail(
                                  "the source did not resume the broken post-copy link within "
                                      + recoveryWait.toSeconds()
                                      + " s (it broke: "
                                      + reason
                                      + ")")));
    }
    IncomingMigration.closeAll(open, "post-copy paused: " + reason);
    LOG.warn(
        "Migration {}: the post-copy link broke ({}); the guest runs on the pages it has and waits"
            + " up to {} s for the source to resume",
        Protocol.printable(m.uid),
        reason,
        recoveryWait.toSeconds());
  }

  /** See {@link IncomingMigration#resume}. */
  IncomingMigration.Resumed resume(Protocol.Resume request, Connection connection) {
    IncomingMigration m = migration;
    synchronized (m) {
      if (m.state != IncomingMigration.State.POST_COPY
          && m.state != IncomingMigration.State.POST_COPY_PAUSED) {
        return IncomingMigration.Resumed.refused(
            "migration "
                + m.uid
                + " is not in post-copy here ("
                + m.state
                + "): nothing to resume");
      }
      if (request.channels() != m.channels) {
        return IncomingMigration.Resumed.refused(
            "channel count " + request.channels() + " differs from the migration's " + m.channels);
      }
      if (request.channel() != 0) {
        Connection[] slots = Objects.requireNonNull(m.connections);
        if (m.state != IncomingMigration.State.POST_COPY
            || request.epoch() != m.epoch
            || m.epoch == 0) {
          return IncomingMigration.Resumed.refused(
              "busy: channel "
                  + request.channel()
                  + " belongs to an attempt to resume (epoch "
                  + request.epoch()
                  + ") other than the current one");
        }
        if (slots[request.channel()] != null) {
          return IncomingMigration.Resumed.refused(
              "channel " + request.channel() + " is already connected");
        }
        m.plug(request.channel(), connection, false);
        return new IncomingMigration.Resumed(null, m.epoch, new byte[0]);
      }
    }
    pause("the source reconnected");
    synchronized (m) {
      long deadline = System.nanoTime() + m.ioTimeout.toNanos();
      while (m.live > 0 && m.state == IncomingMigration.State.POST_COPY_PAUSED) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return IncomingMigration.Resumed.refused(
              "busy: the previous connections of migration " + m.uid + " have not ended yet");
        }
        try {
          m.wait(Math.max(1, Math.min(50, left / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return IncomingMigration.Resumed.refused("busy: the target agent is stopping");
        }
      }
      if (m.state != IncomingMigration.State.POST_COPY_PAUSED) {
        return IncomingMigration.Resumed.refused(
            "migration " + m.uid + " is no longer in post-copy here (" + m.state + ")");
      }
      m.epoch++;
      int pageCount = m.pageCount;
      byte[] present = new byte[(pageCount + 7) >>> 3];
      for (int index = 0; index < pageCount; index++) {
        if (m.memory.isPresent(index)) {
          present[index >>> 3] |= (byte) (1 << (index & 7));
        }
      }
      requested = new AtomicLongArray((pageCount + 63) >>> 6);
      m.connections = new Connection[m.channels];
      m.attached = 0;
      m.ended = 0;
      m.group = m.watchLink(m.epoch);
      m.plug(0, connection, false);
      if (pauseDeadline != null) {
        pauseDeadline.cancel();
        pauseDeadline = null;
      }
      m.state = IncomingMigration.State.POST_COPY;
      resumes++;
      LOG.info(
          "Migration {}: the source resumed the post-copy link (epoch {})",
          Protocol.printable(m.uid),
          m.epoch);
      return new IncomingMigration.Resumed(null, m.epoch, present);
    }
  }

  /** See {@link IncomingMigration#resumedControl}. */
  void resumedControl(int epochOf, Connection connection) {
    IncomingMigration m = migration;
    synchronized (m) {
      if (epochOf == m.epoch && m.state == IncomingMigration.State.POST_COPY) {
        m.back = IncomingMigration.backWriter(connection);
      }
    }
  }
}
