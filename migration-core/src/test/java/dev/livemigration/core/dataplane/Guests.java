package dev.livemigration.core.dataplane;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Memories and busy guests for the data plane's tests. */
final class Guests {
  private Guests() {}

  /** Returns memory of {@code pages} pages of 4 KiB filled with random bytes, some pages zero. */
  static PagedMemory random(int pages, long seed) {
    return random(PagedMemory.DEFAULT_PAGE_SIZE, pages, seed);
  }

  static PagedMemory random(int pageSize, int pages, long seed) {
    PagedMemory memory = PagedMemory.allocate(pageSize, pages);
    Random random = new Random(seed);
    byte[] page = new byte[pageSize];
    for (int i = 0; i < pages; i++) {
      if (random.nextInt(4) == 0) {
        continue;
      }
      random.nextBytes(page);
      memory.write((long) i * pageSize, page);
    }
    return memory;
  }

  /** A thread that keeps writing random longs into a memory until stopped. */
  static final class Writer implements AutoCloseable {
    private final Thread thread;
    private final AtomicLong writes = new AtomicLong();
    private volatile boolean stop;

    /**
     * @param pauseEvery writes between short sleeps (bounds the dirty rate); 0 never sleeps
     */
    Writer(PagedMemory memory, long seed, int pauseEvery) {
      this(memory, seed, pauseEvery, 0);
    }

    /**
     * @param hotPages writes only into the first this many pages (a hot set); 0 writes anywhere
     */
    Writer(PagedMemory memory, long seed, int pauseEvery, int hotPages) {
      thread =
          new Thread(
              () -> {
                Random random = new Random(seed);
                long slots =
                    hotPages > 0
                        ? Math.min(memory.size(), (long) hotPages * memory.pageSize()) / 8
                        : memory.size() / 8;
                try {
                  while (!stop) {
                    memory.putLong(random.nextLong(slots) * 8, random.nextLong());
                    long n = writes.incrementAndGet();
                    if (pauseEvery > 0 && n % pauseEvery == 0) {
                      TimeUnit.MILLISECONDS.sleep(1);
                    }
                  }
                } catch (IllegalStateException | InterruptedException e) {
                  // The memory was closed, or the test ended.
                }
              },
              "test-guest-writer");
      thread.setDaemon(true);
      thread.start();
    }

    long writes() {
      return writes.get();
    }

    /** Stops the writer; a writer blocked on a paused memory stops once it is resumed or closed. */
    @Override
    public void close() {
      stop = true;
      thread.interrupt();
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    boolean isAlive() {
      return thread.isAlive();
    }
  }
}
