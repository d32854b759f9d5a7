package dev.livemigration.core.dataplane;

import java.time.Duration;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * Where each channel of an {@link IncomingMigration} is in the source's sequence of {@code SYNC}
 * frames, so that a control frame on channel 0 can wait (bounded) until every channel delivered the
 * pages that came before it.
 */
final class SyncBarrier {
  private final long[] seen;
  private final Duration timeout;

  SyncBarrier(int channels, Duration timeout) {
    this.seen = new long[channels];
    this.timeout = timeout;
  }

  /** Channel {@code channel} delivered everything up to {@code sequence}. */
  synchronized void synced(int channel, long sequence) {
    seen[channel] = sequence;
    notifyAll();
  }

  /**
   * Waits until every channel is attached and delivered everything up to {@code sequence}.
   *
   * @throws TransferFailedException after the timeout, or when {@code over} says the migration
   *     ended
   */
  synchronized void await(long sequence, BooleanSupplier allAttached, BooleanSupplier over)
      throws TransferFailedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!(Arrays.stream(seen).allMatch(s -> s >= sequence) && allAttached.getAsBoolean())) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || over.getAsBoolean()) {
        throw new TransferFailedException(
            "read timeout: not every channel delivered its pages within "
                + timeout.toMillis()
                + " ms");
      }
      try {
        wait(Math.max(1, Math.min(50, left / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TransferFailedException("interrupted while waiting for the channels", e);
      }
    }
  }
}
