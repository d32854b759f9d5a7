package dev.livemigration.core.dataplane;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Breaks stalled transfers: a thread that watches groups of connections and, when one of a group's
 * reads or writes has been blocked while the whole group made no progress for the group's timeout,
 * tells the group, which closes its connections.
 */
final class Watchdog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);

  private final Set<Group> groups = ConcurrentHashMap.newKeySet();
  private final Thread thread;
  private volatile boolean closed;

  Watchdog(String name) {
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Starts watching a group; {@code onStall} gets the stall's description. */
  Group watch(Duration timeout, Consumer<String> onStall) {
    Group group = new Group(this, timeout.toNanos(), Long.MAX_VALUE, onStall);
    groups.add(group);
    return group;
  }

  /**
   * Starts watching a group that must also be done (cancelled) within {@code deadline} in all,
   * however much progress it makes: a handshake, say, against a peer that trickles bytes.
   */
  Group watch(Duration timeout, Duration deadline, Consumer<String> onStall) {
    Group group = new Group(this, timeout.toNanos(), deadline.toNanos(), onStall);
    groups.add(group);
    return group;
  }

  private void run() {
    while (!closed) {
      try {
        TimeUnit.MILLISECONDS.sleep(50);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      for (Group group : groups) {
        String stall = group.check(now);
        if (stall != null && groups.remove(group)) {
          // Handled on a thread of its own: breaking a connection must never hold up the others.
          Thread handler =
              new Thread(
                  () -> {
                    try {
                      group.onStall.accept(stall);
                    } catch (RuntimeException e) {
                      LOG.warn("Handling a stalled transfer failed", e);
                    }
                  },
                  thread.getName() + "-stall");
          handler.setDaemon(true);
          handler.start();
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The connections of one transfer (or one handshake), watched together. */
  static final class Group {
    private final Watchdog owner;
    private final long timeoutNanos;
    private final Consumer<String> onStall;
    private final long started = System.nanoTime();
    private final long deadlineNanos;
    private volatile long lastProgress = System.nanoTime();
    private final java.util.concurrent.atomic.AtomicInteger blockedReads =
        new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger blockedWrites =
        new java.util.concurrent.atomic.AtomicInteger();

    private Group(Watchdog owner, long timeoutNanos, long deadlineNanos, Consumer<String> onStall) {
      this.owner = owner;
      this.timeoutNanos = timeoutNanos;
      this.deadlineNanos = deadlineNanos;
      this.onStall = onStall;
    }

    void progress() {
      lastProgress = System.nanoTime();
    }

    void enter(boolean write) {
      (write ? blockedWrites : blockedReads).incrementAndGet();
    }

    void exit(boolean write) {
      (write ? blockedWrites : blockedReads).decrementAndGet();
      lastProgress = System.nanoTime();
    }

    private @Nullable String check(long now) {
      if (now - started > deadlineNanos) {
        return String.format("deadline: not done within %.1f s in all", deadlineNanos / 1e9);
      }
      long idle = now - lastProgress;
      if (idle < timeoutNanos) {
        return null;
      }
      String seconds = String.format("%.1f s", idle / 1e9);
      if (blockedWrites.get() > 0) {
        return "write timeout: the peer accepted no data for " + seconds;
      }
      if (blockedReads.get() > 0) {
        return "read timeout: the peer sent nothing for " + seconds;
      }
      return null;
    }

    /** Stops watching. Idempotent. */
    void cancel() {
      owner.groups.remove(this);
    }
  }
}
