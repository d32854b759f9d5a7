package dev.livemigration.core;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A {@link Scheduler} on the system clock and a pool of daemon threads. */
final class SystemScheduler implements Scheduler {
  private static final Logger LOG = LoggerFactory.getLogger(SystemScheduler.class);
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final ScheduledThreadPoolExecutor executor;

  SystemScheduler(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, but was " + threads);
    }
    int pool = POOLS.incrementAndGet();
    AtomicInteger count = new AtomicInteger();
    executor =
        new ScheduledThreadPoolExecutor(
            threads,
            runnable -> {
              Thread thread =
                  new Thread(runnable, "live-migration-" + pool + "-" + count.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  @Override
  public Instant now() {
    return Instant.now();
  }

  @Override
  public void schedule(Duration delay, Runnable task) {
    if (executor.isShutdown()) {
      return;
    }
    executor.schedule(() -> runSafely(task), delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  static void runSafely(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException | Error e) {
      LOG.error("A scheduled task failed", e);
    }
  }

  @Override
  public void close() {
    closeWithin(java.time.Duration.ofSeconds(10));
  }

  /** Stops taking tasks, waits up to {@code wait} for running ones, then interrupts them. */
  void closeWithin(java.time.Duration wait) {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(Math.max(0, wait.toMillis()), TimeUnit.MILLISECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
