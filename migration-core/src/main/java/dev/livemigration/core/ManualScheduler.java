package dev.livemigration.core;

import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} in virtual time: tasks run only when the caller advances the clock, on the
 * caller's thread, in time order. An hour of migration runs in milliseconds.
 *
 * <pre>{@code
 * ManualScheduler time = new ManualScheduler();
 * MigrationEngine engine = MigrationEngines.builder().scheduler(time)...build();
 * MigrationHandle handle = engine.migrate(request);
 * time.advance(Duration.ofMinutes(5));
 * }</pre>
 */
public final class ManualScheduler implements Scheduler {
  private record Task(Instant due, long sequence, Runnable task) {}

  private final PriorityQueue<Task> tasks =
      new PriorityQueue<>(
          (a, b) ->
              a.due().equals(b.due())
                  ? Long.compare(a.sequence(), b.sequence())
                  : a.due().compareTo(b.due()));
  private Instant now;
  private long sequence;

  /** Creates a scheduler whose clock starts at 2019-03-29T04:02:47Z. */
  public ManualScheduler() {
    this(Instant.parse("2019-03-29T04:02:47Z"));
  }

  /** Creates a scheduler whose clock starts at {@code start}. */
  public ManualScheduler(Instant start) {
    this.now = start;
  }

  @Override
  public synchronized Instant now() {
    return now;
  }

  @Override
  public synchronized void schedule(Duration delay, Runnable task) {
    tasks.add(new Task(now.plus(delay.isNegative() ? Duration.ZERO : delay), sequence++, task));
  }

  /** Runs every task due now, including tasks they schedule for now. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /** Moves the clock forward by {@code duration}, running each task when its time comes. */
  public void advance(Duration duration) {
    Instant until;
    synchronized (this) {
      until = now.plus(duration);
    }
    while (true) {
      Task next;
      synchronized (this) {
        next = tasks.peek();
        if (next == null || next.due().isAfter(until)) {
          now = until;
          return;
        }
        tasks.poll();
        if (next.due().isAfter(now)) {
          now = next.due();
        }
      }
      SystemScheduler.runSafely(next.task());
    }
  }

  /**
   * Advances the clock until no task is left or {@code limit} has passed.
   *
   * @return the virtual time that passed
   */
  public Duration advanceUntilIdle(Duration limit) {
    Instant start = now();
    Instant end = start.plus(limit);
    while (true) {
      Instant due;
      synchronized (this) {
        Task next = tasks.peek();
        if (next == null || next.due().isAfter(end)) {
          break;
        }
        due = next.due();
      }
      advance(Duration.between(now(), due));
    }
    return Duration.between(start, now());
  }

  /** Returns how many tasks wait to run. */
  public synchronized int pendingTasks() {
    return tasks.size();
  }
}
