package dev.livemigration.testkit;

import dev.livemigration.api.InvalidValueException;
import java.time.Duration;
import java.util.Objects;

/**
 * A point where a step of a backend or an inventory stalls until the test lets it go: callers of
 * {@link #pass()} block until {@link #open()}, and the test can wait for them to arrive. Use it to
 * hold a migration inside a step (a hung target, a slow inventory) while the test does something
 * else, such as cancelling.
 *
 * <pre>{@code
 * Gate hungTarget = new Gate();
 * cluster.wrapBackend(BackendHooks.none().stalling(BackendHooks.Step.PREPARE_TARGET, hungTarget));
 * MigrationHandle handle = cluster.engine().migrate(request);   // a real-time cluster
 * assertThat(hungTarget.awaitArrival(Duration.ofSeconds(10))).isTrue();
 * handle.cancel();
 * hungTarget.open();
 * }</pre>
 *
 * <p>In a {@link SimulatedCluster}, tasks run on the thread that advances virtual time, so a
 * stalled step blocks that thread: advance time on another thread while the test waits at the gate.
 * So that a forgotten gate cannot hang a build, a caller waits at most {@link #maxStall()} and then
 * fails. Thread-safe.
 */
public final class Gate {
  /** How long a caller waits at a gate unless told otherwise: one minute. */
  public static final Duration DEFAULT_MAX_STALL = Duration.ofMinutes(1);

  private final Duration maxStall;
  private int arrivals;
  private boolean open;

  /** Creates a closed gate whose callers wait at most {@link #DEFAULT_MAX_STALL}. */
  public Gate() {
    this(DEFAULT_MAX_STALL);
  }

  /**
   * Creates a closed gate.
   *
   * @param maxStall the longest a caller waits before it fails; positive
   */
  public Gate(Duration maxStall) {
    Objects.requireNonNull(maxStall, "maxStall");
    if (maxStall.isNegative() || maxStall.isZero()) {
      throw new InvalidValueException("maxStall", "must be positive", maxStall.toString());
    }
    this.maxStall = maxStall;
  }

  /** The longest a caller of {@link #pass()} waits for the gate to open. */
  public Duration maxStall() {
    return maxStall;
  }

  /**
   * Arrives at the gate and waits until it is open; returns at once if it is.
   *
   * @throws GateTimeoutException if the gate stays closed for {@link #maxStall()}, or the caller is
   *     interrupted (its interrupt flag is then set again)
   */
  public synchronized void pass() {
    arrivals++;
    notifyAll();
    long deadline = System.nanoTime() + maxStall.toNanos();
    while (!open) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new GateTimeoutException("the gate was not opened within " + maxStall);
      }
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new GateTimeoutException("interrupted while waiting at the gate");
      }
    }
  }

  /**
   * Waits, in real time, until at least {@code count} callers have arrived (in total, waiting or
   * gone through).
   *
   * @return whether they arrived within {@code timeout}
   */
  public synchronized boolean awaitArrivals(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (arrivals < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** Waits until a first caller has arrived; see {@link #awaitArrivals(int, Duration)}. */
  public boolean awaitArrival(Duration timeout) {
    return awaitArrivals(1, timeout);
  }

  /** How many callers have arrived so far. */
  public synchronized int arrivals() {
    return arrivals;
  }

  /** Opens the gate: waiting callers go on, later ones pass at once. Idempotent. */
  public synchronized void open() {
    open = true;
    notifyAll();
  }

  /** Whether the gate has been opened. */
  public synchronized boolean isOpen() {
    return open;
  }

  /** Thrown by {@link #pass()} when the gate is not opened in time. */
  public static final class GateTimeoutException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    GateTimeoutException(String message) {
      super(message);
    }
  }
}
