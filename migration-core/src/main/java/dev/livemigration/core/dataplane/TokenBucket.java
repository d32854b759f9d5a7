package dev.livemigration.core.dataplane;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Limits the bytes per second of a migration across all its channels: each write takes its bytes
 * from the bucket and waits while the bucket is in debt. A rate of 0 is unlimited.
 */
final class TokenBucket {
  private long rate;
  private double tokens;
  private long last = System.nanoTime();

  TokenBucket(long bytesPerSecond) {
    setRate(bytesPerSecond);
  }

  synchronized void setRate(long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("bytesPerSecond must be >= 0, but was " + bytesPerSecond);
    }
    refill(System.nanoTime());
    rate = bytesPerSecond;
    tokens = Math.min(tokens, burst());
  }

  synchronized long rate() {
    return rate;
  }

  /** The largest write the bucket should see at once at the current rate. */
  synchronized int chunk(int max, int min) {
    if (rate == 0) {
      return max;
    }
    return (int) Math.max(min, Math.min(max, rate / 50));
  }

  /** Takes {@code bytes}, waiting as long as the rate requires or until {@code stop} is true. */
  void acquire(long bytes, BooleanSupplier stop) {
    long waitNanos;
    synchronized (this) {
      if (rate == 0) {
        return;
      }
      refill(System.nanoTime());
      tokens -= bytes;
      waitNanos = tokens >= 0 ? 0 : (long) (-tokens * 1e9 / rate);
    }
    long until = System.nanoTime() + waitNanos;
    while (waitNanos > 0 && !stop.getAsBoolean()) {
      LockSupport.parkNanos(Math.min(waitNanos, 50_000_000L));
      waitNanos = until - System.nanoTime();
    }
  }

  private double burst() {
    return Math.max(64 << 10, rate / 20.0);
  }

  private void refill(long now) {
    if (rate > 0) {
      tokens = Math.min(burst(), tokens + (now - last) * (rate / 1e9));
    }
    last = now;
  }
}
