package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigratableMemory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Moves a source memory's pages over the channels of an {@link OutgoingMigration}: keeps the set of
 * stale pages (not sent since they last changed), sends it pass after pass in pre-copy, and in
 * post-copy pushes the rest once while serving the target's page requests first.
 */
final class PageSender {
  private final MigratableMemory memory;
  private final int pageCount;
  private final int words;
  private final int[][] wordsOf;
  private final List<FrameWriter> writers;
  private final ExecutorService workers;
  private final LongAdder wireBytes;
  private final BooleanSupplier stopping;
  private final BooleanSupplier postCopyRequested;
  private final Runnable stop;
  private final int[] sentCrc;
  private final long[] staleWords;
  private final AtomicLong staleCount = new AtomicLong();
  private final AtomicLong servedRequests = new AtomicLong();
  private final AtomicLong sentAfterSwitch = new AtomicLong();
  private final AtomicLong resent = new AtomicLong();
  private volatile @Nullable AtomicLongArray claimed;
  private volatile @Nullable ReturnPath requests;
  private volatile boolean flushRequested;
  private volatile long iteration;
  private long passBytes;
  private long passNanos;
  private long allPassBytes;
  private long allPassNanos;

  PageSender(
      MigratableMemory memory,
      int[][] wordsOf,
      List<FrameWriter> writers,
      ExecutorService workers,
      LongAdder wireBytes,
      BooleanSupplier stopping,
      BooleanSupplier postCopyRequested,
      Runnable stop) {
    this.memory = memory;
    this.pageCount = memory.pageCount();
    this.words = (pageCount + 63) >>> 6;
    this.wordsOf = wordsOf;
    this.writers = writers;
    this.workers = workers;
    this.wireBytes = wireBytes;
    this.stopping = stopping;
    this.postCopyRequested = postCopyRequested;
    this.stop = stop;
    this.sentCrc = new int[pageCount];
    this.staleWords = new long[words];
  }

  /** Marks every page stale: nothing was sent yet. */
  void allStale() {
    for (int w = 0; w < words; w++) {
      int bits = Math.min(64, pageCount - (w << 6));
      staleWords[w] = bits == 64 ? -1L : (1L << bits) - 1;
    }
    staleCount.set(pageCount);
  }

  long staleCount() {
    return staleCount.get();
  }

  long iteration() {
    return iteration;
  }

  /** Counts a pass that sends no pages (the post-copy push counts as one). */
  long nextIteration() {
    return ++iteration;
  }

  long passBytes() {
    return passBytes;
  }

  long passNanos() {
    return passNanos;
  }

  /** The dirty rate of the last pass, during which {@code dirtyPages} pages were dirtied. */
  long dirtyRate(long dirtyPages) {
    return passNanos <= 0 ? 0 : (long) (dirtyPages * (double) memory.pageSize() * 1e9 / passNanos);
  }

  /** Bytes per second over all passes so far; infinite before any time was measured. */
  double bandwidth() {
    return allPassNanos <= 0 ? Double.POSITIVE_INFINITY : allPassBytes * 1e9 / allPassNanos;
  }

  long servedRequests() {
    return servedRequests.get();
  }

  long sentAfterSwitch() {
    return sentAfterSwitch.get();
  }

  /** The digest of every page as last sent. */
  byte[] digest() {
    return Protocol.digest(sentCrc);
  }

  /** Merges the pages dirtied since the last look into the stale set; returns their count. */
  long mergeDirty() {
    long[] dirty = memory.fetchDirtyPages().toLongArray();
    long added = 0;
    int n = Math.min(dirty.length, words);
    for (int w = 0; w < n; w++) {
      long fresh = dirty[w] & ~staleWords[w];
      if (w == words - 1 && (pageCount & 63) != 0) {
        fresh &= (1L << (pageCount & 63)) - 1;
      }
      staleWords[w] |= fresh;
      added += Long.bitCount(dirty[w]);
      staleCount.addAndGet(Long.bitCount(fresh));
    }
    return added;
  }

  /**
   * Sends every stale page once over all channels; ends early on a switch to post-copy or an abort
   * unless it is the final pass ({@code sync > 0}), which ends with a SYNC frame.
   */
  void runPass(long sync) throws IOException {
    long pass = ++iteration;
    long bytesBefore = wireBytes.sum();
    long started = System.nanoTime();
    List<Future<?>> tasks = new ArrayList<>();
    for (int c = 0; c < writers.size(); c++) {
      int channel = c;
      tasks.add(
          workers.submit(
              () -> {
                sendPass(channel, pass, sync);
                return null;
              }));
    }
    awaitAll(tasks, "during pass " + pass);
    passNanos = System.nanoTime() - started;
    passBytes = wireBytes.sum() - bytesBefore;
    allPassNanos += passNanos;
    allPassBytes += passBytes;
  }

  private void sendPass(int channel, long pass, long sync) throws IOException {
    FrameWriter writer = writers.get(channel);
    writer.control(Protocol.ITERATION, pass);
    boolean interruptible = sync == 0;
    for (int w : wordsOf[channel]) {
      long bits = staleWords[w];
      while (bits != 0) {
        if (stopping.getAsBoolean() || (interruptible && postCopyRequested.getAsBoolean())) {
          writer.flush();
          return;
        }
        int bit = Long.numberOfTrailingZeros(bits);
        int index = (w << 6) + bit;
        sentCrc[index] = writer.page(index, memory);
        bits &= bits - 1;
        staleWords[w] &= ~(1L << bit);
        staleCount.decrementAndGet();
      }
    }
    if (sync > 0) {
      writer.control(Protocol.SYNC, sync);
    }
    writer.flush();
  }

  /** The bitmap of the pages still stale, one bit a page, for the POSTCOPY frame. */
  byte[] staleBitmap() {
    byte[] bitmap = new byte[(pageCount + 7) >>> 3];
    for (int w = 0; w < words; w++) {
      long bits = staleWords[w];
      for (int b = 0; b < 8 && (w << 3) + b < bitmap.length; b++) {
        bitmap[(w << 3) + b] = (byte) (bits >>> (b << 3));
      }
    }
    return bitmap;
  }

  /** From now on, pages are sent once each, on request or pushed. */
  void startPostCopy(ReturnPath requests) {
    this.requests = requests;
    claimed = new AtomicLongArray(words);
  }

  /**
   * The link was resumed: requests come from {@code requests} now, and of the pages stale at the
   * switch only those the target lacks ({@code present}, one bit a page) are sent (again).
   */
  void resume(ReturnPath requests, byte[] present) {
    AtomicLongArray claims = new AtomicLongArray(words);
    AtomicLongArray before = Objects.requireNonNull(claimed);
    long stale = 0;
    long again = 0;
    for (int w = 0; w < words; w++) {
      long have = 0;
      for (int b = 0; b < 8 && (w << 3) + b < present.length; b++) {
        have |= (present[(w << 3) + b] & 0xFFL) << (b << 3);
      }
      claims.set(w, have);
      stale += Long.bitCount(staleWords[w] & ~have);
      again += Long.bitCount(staleWords[w] & before.get(w) & ~have);
    }
    resent.addAndGet(again);
    this.requests = requests;
    claimed = claims;
    staleCount.set(stale);
  }

  /** Pages sent before a break that the target lacked after it (sent again). */
  long resent() {
    return resent.get();
  }

  /** Pushes every page the target still lacks, serving its requests first; ends with a SYNC. */
  void pushAll(long pass, long sync) throws IOException {
    List<Future<?>> tasks = new ArrayList<>();
    for (int c = 0; c < writers.size(); c++) {
      int channel = c;
      tasks.add(
          workers.submit(
              () -> {
                push(channel, pass, sync);
                return null;
              }));
    }
    awaitAll(tasks, "in post-copy");
  }

  private void push(int channel, long pass, long sync) throws IOException {
    FrameWriter writer = writers.get(channel);
    writer.control(Protocol.ITERATION, pass);
    for (int w : wordsOf[channel]) {
      long bits = staleWords[w];
      while (bits != 0) {
        serveRequests(writer);
        if (stopping.getAsBoolean()) {
          throw new TransferFailedException("stopped in post-copy");
        }
        int bit = Long.numberOfTrailingZeros(bits);
        bits &= bits - 1;
        send(writer, (w << 6) + bit);
        if (flushRequested) {
          flushRequested = false;
          writer.flush();
        }
      }
    }
    serveRequests(writer);
    writer.control(Protocol.SYNC, sync);
    writer.flush();
  }

  private void serveRequests(FrameWriter writer) throws IOException {
    ReturnPath path = Objects.requireNonNull(requests);
    int index;
    boolean sent = false;
    while ((index = path.pollRequest()) >= 0) {
      if (send(writer, index)) {
        servedRequests.incrementAndGet();
        sent = true;
      } else {
        flushRequested = true;
      }
    }
    if (sent) {
      writer.flush();
    }
  }

  /** Sends a page that the target still lacks, once; returns whether this call sent it. */
  private boolean send(FrameWriter writer, int index) throws IOException {
    AtomicLongArray claims = Objects.requireNonNull(claimed);
    int w = index >>> 6;
    long bit = 1L << index;
    if ((staleWords[w] & bit) == 0) {
      return false;
    }
    long before = claims.getAndUpdate(w, v -> v | bit);
    if ((before & bit) != 0) {
      return false;
    }
    sentCrc[index] = writer.page(index, memory);
    staleCount.decrementAndGet();
    sentAfterSwitch.incrementAndGet();
    return true;
  }

  /** Waits for every channel's task; the first failure stops the others. */
  private void awaitAll(List<Future<?>> tasks, String where) throws IOException {
    IOException first = null;
    for (Future<?> task : tasks) {
      try {
        task.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stop.run();
        first = first != null ? first : new TransferFailedException("interrupted " + where);
      } catch (ExecutionException e) {
        stop.run();
        Throwable cause = e.getCause();
        if (first == null) {
          first =
              cause instanceof IOException io
                  ? io
                  : new TransferFailedException(Failures.describe(cause, where), cause);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
