package dev.livemigration.testkit;

import dev.livemigration.api.InvalidValueException;
import dev.livemigration.core.dataplane.PagedMemory;
import dev.livemigration.testkit.model.GuestProfile;
import dev.livemigration.testkit.model.ModelBackend;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A guest whose memory is real bytes: {@link PagedMemory} filled from a seed, and writer threads
 * that dirty its pages at a set rate and pattern. It honours pause and the auto-converge throttle
 * (through the memory) and counts the writes it managed, so that a test can see what a throttle or
 * post-copy's page faults cost the workload.
 *
 * <pre>{@code
 * try (SimulatedGuest guest = SimulatedGuest.builder().memory(64 << 20).dirtyRate(8 << 20).build()) {
 *   guest.start();
 *   backend.register("default", "vmi-fedora", guest.memory());
 *   ...
 * }
 * }</pre>
 *
 * <p>Each write stores one 8-byte value in a page, so a page is dirtied per write: the dirty rate
 * in bytes per second is writes per second times the page size. The same seed gives the same
 * content and the same sequence of pages.
 */
public final class SimulatedGuest implements AutoCloseable {
  private static final long PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  private final PagedMemory memory;
  private final long dirtyRate;
  private final int workingSetPages;
  private final DirtyPattern pattern;
  private final long seed;
  private final int writers;
  private final AtomicLong writes = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private volatile Supplier<PagedMemory> location;
  private volatile boolean running;

  private SimulatedGuest(Builder builder) {
    this.memory = PagedMemory.allocate(builder.memory);
    this.dirtyRate = builder.dirtyRate;
    this.workingSetPages =
        (int) Math.max(1, Math.min(memory.pageCount(), builder.workingSet / memory.pageSize()));
    this.pattern = builder.pattern;
    this.seed = builder.seed;
    this.writers = builder.writers;
    this.location = () -> memory;
    fill(memory, seed);
  }

  /** Returns a builder: 64 MiB, idle, uniform over all memory, seed 1, one writer. */
  public static Builder builder() {
    return new Builder();
  }

  /** Fills {@code memory} with pseudo-random bytes from {@code seed}. */
  static void fill(PagedMemory memory, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    ByteBuffer block = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    for (long at = 0; at < memory.size(); at += block.capacity()) {
      block.clear();
      int n = (int) Math.min(block.capacity(), memory.size() - at);
      for (int i = 0; i < n; i += Long.BYTES) {
        block.putLong(i, random.nextLong());
      }
      block.limit(n);
      memory.write(at, block);
    }
  }

  /**
   * Returns the profile of this guest for the {@link ModelBackend}: its dirty rate, its working set
   * and how its pattern spreads the writes.
   */
  public GuestProfile profile() {
    return new GuestProfile(
        dirtyRate, (long) workingSetPages * memory.pageSize(), pattern.spread());
  }

  /** The guest's memory on its first node: register it with the data plane. */
  public PagedMemory memory() {
    return memory;
  }

  /**
   * Makes the writers follow the guest wherever it runs: {@code current} returns the memory the
   * guest runs on now (for example the data plane's view after a migration).
   */
  public void follow(Supplier<PagedMemory> current) {
    this.location = Objects.requireNonNull(current, "current");
  }

  /** Starts the writer threads; an idle guest starts none. Idempotent. */
  public synchronized void start() {
    if (running || dirtyRate == 0) {
      return;
    }
    running = true;
    for (int w = 0; w < writers; w++) {
      SplittableRandom random = new SplittableRandom(seed * 31 + w);
      Thread thread = new Thread(() -> write(random), "simulated-guest-writer-" + w);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  private void write(SplittableRandom random) {
    double pagesPerNano = dirtyRate / (double) memory.pageSize() / writers / 1e9;
    long started = System.nanoTime();
    long done = 0;
    long sweep = 0;
    while (running) {
      long due = (long) ((System.nanoTime() - started) * pagesPerNano);
      PagedMemory target = location.get();
      if (target.isPaused()) {
        // A paused guest does no work and never catches up; it may run elsewhere on the next look.
        done = due;
        sleepNanos(PACE_NANOS);
        continue;
      }
      if (due <= done) {
        sleepNanos(PACE_NANOS);
        continue;
      }
      for (long n = Math.min(due - done, 4096); n > 0 && running && !target.isPaused(); n--) {
        int page = nextPage(random, sweep++);
        try {
          target.putLong((long) page * target.pageSize(), random.nextLong());
        } catch (IllegalStateException | UncheckedIOException gone) {
          if (location.get() == target) {
            return; // freed, or lost in post-copy: the guest is gone
          }
          break; // the memory it ran on was freed after a migration: go on where it runs now
        }
        writes.incrementAndGet();
        done++;
      }
      // A throttled or paused memory slows the writes down; never try to catch up afterwards.
      done = Math.max(done, (long) ((System.nanoTime() - started) * pagesPerNano) - 4096);
    }
  }

  private int nextPage(SplittableRandom random, long sequence) {
    return switch (pattern) {
      case UNIFORM -> random.nextInt(workingSetPages);
      case SEQUENTIAL -> (int) (sequence % workingSetPages);
      case HOT_COLD ->
          random.nextInt(10) < 9
              ? random.nextInt(Math.max(1, workingSetPages / 10))
              : random.nextInt(workingSetPages);
    };
  }

  private static void sleepNanos(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The number of writes the guest has done: its work, slowed by throttling and page faults. */
  public long writes() {
    return writes.get();
  }

  /** Stops the writers and waits for them. Idempotent. */
  public synchronized void stop() {
    running = false;
    for (Thread thread : threads) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    threads.clear();
  }

  /** Stops the writers and frees the guest's first memory. Idempotent. */
  @Override
  public void close() {
    stop();
    memory.close();
  }

  /** Configures a {@link SimulatedGuest}. */
  public static final class Builder {
    private long memory = 64L << 20;
    private long dirtyRate;
    private long workingSet = Long.MAX_VALUE;
    private DirtyPattern pattern = DirtyPattern.UNIFORM;
    private long seed = 1;
    private int writers = 1;

    private Builder() {}

    /** The guest's memory in bytes, a positive multiple of 4 KiB; 64 MiB unless set. */
    public Builder memory(long bytes) {
      if (bytes <= 0 || bytes % PagedMemory.DEFAULT_PAGE_SIZE != 0) {
        throw new InvalidValueException(
            "memory", "must be a positive multiple of 4096", Long.toString(bytes));
      }
      this.memory = bytes;
      return this;
    }

    /** Bytes per second the guest dirties; 0 (idle) unless set. */
    public Builder dirtyRate(long bytesPerSecond) {
      if (bytesPerSecond < 0) {
        throw new InvalidValueException("dirtyRate", "must be >= 0", Long.toString(bytesPerSecond));
      }
      this.dirtyRate = bytesPerSecond;
      return this;
    }

    /** How many bytes the writes land in; all of the memory unless set. */
    public Builder workingSet(long bytes) {
      if (bytes <= 0) {
        throw new InvalidValueException("workingSet", "must be > 0", Long.toString(bytes));
      }
      this.workingSet = bytes;
      return this;
    }

    /** Which pages the writes pick; uniform unless set. */
    public Builder pattern(DirtyPattern pattern) {
      this.pattern = Objects.requireNonNull(pattern, "pattern");
      return this;
    }

    /** The seed of the content and of the write sequence; 1 unless set. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** How many writer threads share the dirty rate; 1 to 16, 1 unless set. */
    public Builder writers(int writers) {
      if (writers < 1 || writers > 16) {
        throw new InvalidValueException(
            "writers", "must be between 1 and 16", Integer.toString(writers));
      }
      this.writers = writers;
      return this;
    }

    /** Allocates the memory, fills it from the seed and returns the guest (not started). */
    public SimulatedGuest build() {
      return new SimulatedGuest(this);
    }
  }
}
