package dev.livemigration.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} in virtual time: tasks run only when the caller advances the clock or steps
 * through them, on the caller's thread, in time order (tasks due at the same time in the order they
 * were scheduled). An hour of migration runs in milliseconds.
 *
 * <pre>{@code
 * ManualScheduler time = new ManualScheduler().taskFailures(TaskFailures.RETHROW);
 * MigrationEngine engine = MigrationEngines.builder().scheduler(time)...build();
 * MigrationHandle handle = engine.migrate(request);
 * time.runNext();                       // one task: the dispatch
 * time.advance(Duration.ofMinutes(5));  // everything due in the next five minutes
 * }</pre>
 *
 * <p>By default a task that throws is logged and the scheduler goes on, as {@link Scheduler}
 * promises; with {@link TaskFailures#RETHROW} the exception reaches the caller of {@link #advance},
 * {@link #runNext()} or {@link #runDue()}, so that a test fails on it.
 *
 * <p>Thread-safe; tasks are run by whichever thread advances the clock, one at a time per thread.
 */
public final class ManualScheduler implements Scheduler {
  /** What a {@link ManualScheduler} does when a task throws. */
  public enum TaskFailures {
    /** Logs the exception and goes on with the next task, as a real scheduler does (default). */
    LOG,
    /**
     * Throws the task's exception, unchanged, to the caller that was running tasks; the clock stays
     * at the failed task's time and later tasks stay queued.
     */
    RETHROW
  }

  private record Task(Instant due, long sequence, Runnable task) {}

  private final PriorityQueue<Task> tasks =
      new PriorityQueue<>(
          (a, b) ->
              a.due().equals(b.due())
                  ? Long.compare(a.sequence(), b.sequence())
                  : a.due().compareTo(b.due()));
  private Instant now;
  private long sequence;
  private volatile TaskFailures taskFailures = TaskFailures.LOG;

  /** Creates a scheduler whose clock starts at 2019-03-29T04:02:47Z. */
  public ManualScheduler() {
    this(Instant.parse("2019-03-29T04:02:47Z"));
  }

  /** Creates a scheduler whose clock starts at {@code start}. */
  public ManualScheduler(Instant start) {
    this.now = Objects.requireNonNull(start, "start");
  }

  /**
   * Sets what happens when a task throws: {@link TaskFailures#LOG} (the default) or {@link
   * TaskFailures#RETHROW}.
   *
   * @return this scheduler
   */
  public ManualScheduler taskFailures(TaskFailures mode) {
    this.taskFailures = Objects.requireNonNull(mode, "mode");
    return this;
  }

  /** What happens when a task throws; {@link TaskFailures#LOG} unless set. */
  public TaskFailures taskFailures() {
    return taskFailures;
  }

  @Override
  public synchronized Instant now() {
    return now;
  }

  @Override
  public synchronized void schedule(Duration delay, Runnable task) {
    Objects.requireNonNull(task, "task");
    tasks.add(new Task(now.plus(delay.isNegative() ? Duration.ZERO : delay), sequence++, task));
  }

  /** Runs every task due now, including tasks they schedule for now. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /**
   * Runs the next task only: the earliest due (of those due at once, the first scheduled), moving
   * the clock to its time if that is later than now.
   *
   * @return whether there was a task to run
   */
  public boolean runNext() {
    Task next;
    synchronized (this) {
      next = tasks.poll();
      if (next == null) {
        return false;
      }
      if (next.due().isAfter(now)) {
        now = next.due();
      }
    }
    run(next);
    return true;
  }

  /** Returns when the next task is due, or empty when no task waits; it may be before now. */
  public synchronized Optional<Instant> nextDue() {
    Task next = tasks.peek();
    return next == null ? Optional.empty() : Optional.of(next.due());
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
      run(next);
    }
  }

  private void run(Task next) {
    if (taskFailures == TaskFailures.RETHROW) {
      next.task().run();
    } else {
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

  /**
   * Runs tasks in order until {@code done} holds, no task is left, or {@code limit} has passed; for
   * engines that keep periodic tasks (a shared store's housekeeping) and so are never idle.
   *
   * @return the virtual time that passed
   */
  public Duration advanceUntil(java.util.function.BooleanSupplier done, Duration limit) {
    Instant start = now();
    Instant end = start.plus(limit);
    while (!done.getAsBoolean()) {
      Optional<Instant> due = nextDue();
      if (due.isEmpty() || due.get().isAfter(end)) {
        break;
      }
      runNext();
    }
    return Duration.between(start, now());
  }

  /** Returns how many tasks wait to run. */
  public synchronized int pendingTasks() {
    return tasks.size();
  }
}
