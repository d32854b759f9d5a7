package dev.livemigration.core.dataplane;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Admits the accesses to a {@link PagedMemory}: counts those in progress, holds writers while the
 * memory is paused, slows them under a throttle, and refuses every access once it is closed.
 */
final class AccessGate {
  private static final long THROTTLE_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private final AtomicInteger inflight = new AtomicInteger();
  private final Object gate = new Object();
  private volatile boolean paused;
  private volatile boolean closed;
  private volatile int throttle;

  boolean isPaused() {
    return paused;
  }

  boolean isClosed() {
    return closed;
  }

  int throttlePercent() {
    return throttle;
  }

  void throttle(int percent) {
    throttle = percent;
  }

  /** Holds new writes and waits for the accesses in progress to end. */
  void pause() {
    paused = true;
    awaitIdle();
  }

  void resume() {
    synchronized (gate) {
      paused = false;
      gate.notifyAll();
    }
  }

  /** Refuses every later access and wakes held writers; false if it was closed already. */
  boolean close() {
    synchronized (gate) {
      if (closed) {
        return false;
      }
      closed = true;
      gate.notifyAll();
    }
    return true;
  }

  /** Waits until no access is in progress. */
  void awaitIdle() {
    while (inflight.get() != 0) {
      LockSupport.parkNanos(10_000);
    }
  }

  void enterWrite() {
    int percent = throttle;
    if (percent > 0) {
      long allowed = THROTTLE_WINDOW_NANOS * (100 - percent) / 100;
      long phase = System.nanoTime() % THROTTLE_WINDOW_NANOS;
      if (phase >= allowed) {
        LockSupport.parkNanos(THROTTLE_WINDOW_NANOS - phase);
      }
    }
    while (true) {
      inflight.incrementAndGet();
      if (!paused && !closed) {
        return;
      }
      inflight.decrementAndGet();
      synchronized (gate) {
        while (paused && !closed) {
          try {
            gate.wait();
          } catch (InterruptedException e) {
            // The writer's thread is wanted elsewhere: give up the write, keep the flag.
            Thread.currentThread().interrupt();
            throw new IllegalStateException(
                "interrupted while waiting for the paused memory to resume; nothing was written",
                e);
          }
        }
      }
      if (closed) {
        throw new IllegalStateException("PagedMemory is closed");
      }
    }
  }

  void enterRead() {
    inflight.incrementAndGet();
    if (closed) {
      inflight.decrementAndGet();
      throw new IllegalStateException("PagedMemory is closed");
    }
  }

  void exit() {
    inflight.decrementAndGet();
  }
}
