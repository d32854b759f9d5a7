package dev.livemigration.core;

import java.time.Duration;
import java.time.Instant;

/**
 * The engine's clock and timer, injected so that tests and simulations can run migrations in
 * virtual time ({@link ManualScheduler}) and production in real time ({@link #system(int)}).
 */
public interface Scheduler extends AutoCloseable {

  /** The current time. */
  Instant now();

  /**
   * Runs {@code task} once after {@code delay}. Tasks may run on any thread; a task that throws is
   * logged, never propagated.
   */
  void schedule(Duration delay, Runnable task);

  /** Runs {@code task} as soon as possible. */
  default void execute(Runnable task) {
    schedule(Duration.ZERO, task);
  }

  /** Stops running tasks; tasks not yet run are dropped. Idempotent. */
  @Override
  default void close() {}

  /**
   * Returns a scheduler on the system clock with a pool of daemon threads. Backend calls may block,
   * so give it at least as many threads as migrations are expected to run at once.
   *
   * @param threads the pool's size, at least 1
   */
  static Scheduler system(int threads) {
    return new SystemScheduler(threads);
  }
}
