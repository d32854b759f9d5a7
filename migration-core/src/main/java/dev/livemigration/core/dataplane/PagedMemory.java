package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigratableMemory;
import dev.livemigration.api.spi.ReceivingMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.BitSet;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * Memory of pages held off the Java heap, which the built-in data plane can migrate while an
 * application keeps writing to it: the application's own state that should move between JVMs, or a
 * simulated guest's RAM.
 *
 * <p>Writes through {@link #write(long, ByteBuffer)} and its siblings mark the pages they touch
 * dirty while dirty logging is on, block while the memory is {@linkplain #pause() paused} (a writer
 * interrupted there gets an {@link IllegalStateException}, writes nothing and keeps its interrupt
 * flag), and slow down under a {@linkplain #throttle(int) throttle}. On a target in post-copy, an
 * access to a page that has not arrived yet waits until the source sent it. Memory of several GiB
 * is held in several direct buffers of at most 1 GiB each.
 *
 * <pre>{@code
 * try (PagedMemory memory = PagedMemory.allocate(64L << 20)) {
 *   memory.putLong(0, 42);
 *   byte[] digest = memory.digest();
 * }
 * }</pre>
 *
 * <p>All methods are thread-safe. {@link #close()} frees the memory at once; any later access
 * throws {@link IllegalStateException}.
 */
public final class PagedMemory implements MigratableMemory, ReceivingMemory, AutoCloseable {
  /** The page size of {@link #allocate(long)}: 4 KiB. */
  public static final int DEFAULT_PAGE_SIZE = 4096;

  /** The smallest page size: 512 bytes. */
  public static final int MIN_PAGE_SIZE = 512;

  /** The largest page size: 1 MiB. */
  public static final int MAX_PAGE_SIZE = 1 << 20;

  private static final int CHUNK_BYTES = 1 << 30;

  private final int pageSize;
  private final int pageShift;
  private final int pageCount;
  private final int chunkShift;
  private final int chunkMask;
  private final ByteBuffer[] chunks;
  private final PageBits dirty;
  private final PageBits present;
  private final AccessGate gate = new AccessGate();
  private final Object arrivals = new Object();
  private volatile boolean logging;
  private volatile @Nullable PageFaultHandler faults;

  private PagedMemory(int pageSize, int pageCount) {
    if (pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE || Integer.bitCount(pageSize) != 1) {
      throw new IllegalArgumentException(
          "pageSize must be a power of two between "
              + MIN_PAGE_SIZE
              + " and "
              + MAX_PAGE_SIZE
              + ", but was "
              + pageSize);
    }
    if (pageCount < 1) {
      throw new IllegalArgumentException("pageCount must be >= 1, but was " + pageCount);
    }
    this.pageSize = pageSize;
    this.pageShift = Integer.numberOfTrailingZeros(pageSize);
    this.pageCount = pageCount;
    int pagesPerChunk = CHUNK_BYTES / pageSize;
    this.chunkShift = Integer.numberOfTrailingZeros(pagesPerChunk);
    this.chunkMask = pagesPerChunk - 1;
    int chunkCount = (int) (((long) pageCount + pagesPerChunk - 1) / pagesPerChunk);
    this.chunks = new ByteBuffer[chunkCount];
    long remaining = (long) pageCount * pageSize;
    for (int i = 0; i < chunkCount; i++) {
      int bytes = (int) Math.min(CHUNK_BYTES, remaining);
      chunks[i] = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
      remaining -= bytes;
    }
    this.dirty = new PageBits(pageCount);
    this.present = new PageBits(pageCount);
  }

  /**
   * Allocates zeroed memory of {@code bytes} bytes in pages of {@link #DEFAULT_PAGE_SIZE}.
   *
   * @throws IllegalArgumentException if {@code bytes} is not a positive multiple of the page size
   *     or needs more than {@link Integer#MAX_VALUE} pages
   */
  public static PagedMemory allocate(long bytes) {
    if (bytes <= 0 || bytes % DEFAULT_PAGE_SIZE != 0) {
      throw new IllegalArgumentException(
          "bytes must be a positive multiple of " + DEFAULT_PAGE_SIZE + ", but was " + bytes);
    }
    long pages = bytes / DEFAULT_PAGE_SIZE;
    if (pages > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "bytes must need at most " + Integer.MAX_VALUE + " pages, but was " + bytes);
    }
    return new PagedMemory(DEFAULT_PAGE_SIZE, (int) pages);
  }

  /**
   * Allocates zeroed memory of {@code pageCount} pages of {@code pageSize} bytes.
   *
   * @throws IllegalArgumentException if the page size is not a power of two between {@link
   *     #MIN_PAGE_SIZE} and {@link #MAX_PAGE_SIZE}, or the count is not positive
   */
  public static PagedMemory allocate(int pageSize, int pageCount) {
    return new PagedMemory(pageSize, pageCount);
  }

  @Override
  public int pageSize() {
    return pageSize;
  }

  @Override
  public int pageCount() {
    return pageCount;
  }

  /** The memory's size in bytes. */
  public long size() {
    return (long) pageCount << pageShift;
  }

  // ---------------------------------------------------------------- the application's access

  /**
   * Copies {@code src}'s remaining bytes into memory at {@code offset}, marking the touched pages
   * dirty; blocks while the memory is paused.
   *
   * @throws IndexOutOfBoundsException if the range is not inside the memory
   */
  public void write(long offset, ByteBuffer src) {
    int length = src.remaining();
    checkRange(offset, length);
    if (length == 0) {
      return;
    }
    int first = (int) (offset >>> pageShift);
    int last = (int) ((offset + length - 1) >>> pageShift);
    awaitPresent(first, last);
    gate.enterWrite();
    try {
      long at = offset;
      ByteBuffer from = src.duplicate();
      while (from.hasRemaining()) {
        ByteBuffer chunk = chunkAt(at);
        int inChunk = (int) (at & (CHUNK_BYTES - 1));
        int n = Math.min(from.remaining(), chunk.capacity() - inChunk);
        chunk.put(inChunk, from, from.position(), n);
        from.position(from.position() + n);
        at += n;
      }
      src.position(src.limit());
      markDirty(first, last);
    } finally {
      gate.exit();
    }
  }

  /** Copies {@code src} into memory at {@code offset}; see {@link #write(long, ByteBuffer)}. */
  public void write(long offset, byte[] src) {
    write(offset, ByteBuffer.wrap(src));
  }

  /** Writes a little-endian long at {@code offset}; see {@link #write(long, ByteBuffer)}. */
  public void putLong(long offset, long value) {
    checkRange(offset, Long.BYTES);
    int first = (int) (offset >>> pageShift);
    int last = (int) ((offset + Long.BYTES - 1) >>> pageShift);
    if (first != last || ((offset & (CHUNK_BYTES - 1)) > CHUNK_BYTES - Long.BYTES)) {
      ByteBuffer bytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      bytes.putLong(0, value);
      write(offset, bytes);
      return;
    }
    awaitPresent(first, first);
    gate.enterWrite();
    try {
      chunkAt(offset).putLong((int) (offset & (CHUNK_BYTES - 1)), value);
      markDirty(first, first);
    } finally {
      gate.exit();
    }
  }

  /**
   * Copies memory at {@code offset} into {@code dst}'s remaining space. Reads do not wait for a
   * pause.
   *
   * @throws IndexOutOfBoundsException if the range is not inside the memory
   */
  public void read(long offset, ByteBuffer dst) {
    int length = dst.remaining();
    checkRange(offset, length);
    if (length == 0) {
      return;
    }
    awaitPresent((int) (offset >>> pageShift), (int) ((offset + length - 1) >>> pageShift));
    gate.enterRead();
    try {
      long at = offset;
      while (dst.hasRemaining()) {
        ByteBuffer chunk = chunkAt(at);
        int inChunk = (int) (at & (CHUNK_BYTES - 1));
        int n = Math.min(dst.remaining(), chunk.capacity() - inChunk);
        dst.put(dst.position(), chunk, inChunk, n);
        dst.position(dst.position() + n);
        at += n;
      }
    } finally {
      gate.exit();
    }
  }

  /** Reads {@code length} bytes at {@code offset} into a new array. */
  public byte[] read(long offset, int length) {
    byte[] bytes = new byte[length];
    read(offset, ByteBuffer.wrap(bytes));
    return bytes;
  }

  /** Reads the little-endian long at {@code offset}. */
  public long getLong(long offset) {
    ByteBuffer bytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    read(offset, bytes);
    return bytes.getLong(0);
  }

  /**
   * Returns the SHA-256 digest of the whole memory, page by page in order. Pause the memory first
   * for a digest of one consistent state.
   */
  public byte[] digest() {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
    int step = Math.max(1, (1 << 20) >>> pageShift);
    for (int page = 0; page < pageCount; page += step) {
      int pages = Math.min(step, pageCount - page);
      awaitPresent(page, page + pages - 1);
      gate.enterRead();
      try {
        sha.update(pageSlice(page).limit(pages << pageShift));
      } finally {
        gate.exit();
      }
    }
    return sha.digest();
  }

  /** Returns {@link #digest()} as lower-case hexadecimal. */
  public String digestHex() {
    return HexFormat.of().formatHex(digest());
  }

  /**
   * Returns the offset of the first byte that differs from {@code other}, or {@code -1} if both
   * memories have the same size and content.
   */
  public long mismatch(PagedMemory other) {
    long common = Math.min(size(), other.size());
    int step = 1 << 20;
    for (long at = 0; at < common; at += step) {
      int n = (int) Math.min(step, common - at);
      ByteBuffer mine = ByteBuffer.allocate(n);
      ByteBuffer theirs = ByteBuffer.allocate(n);
      read(at, mine);
      other.read(at, theirs);
      int differs = mine.flip().mismatch(theirs.flip());
      if (differs >= 0) {
        return at + differs;
      }
    }
    return size() == other.size() ? -1 : common;
  }

  /** Returns whether {@code other} has the same size and the same bytes. */
  public boolean contentEquals(PagedMemory other) {
    return mismatch(other) < 0;
  }

  /** Returns the current throttle, 0 to 99 percent. */
  public int throttlePercent() {
    return gate.throttlePercent();
  }

  /** Returns whether the memory is paused. */
  public boolean isPaused() {
    return gate.isPaused();
  }

  // ---------------------------------------------------------------- MigratableMemory

  @Override
  public void readPage(int index, ByteBuffer dst) {
    Checks.index(index, pageCount);
    gate.enterRead();
    try {
      dst.put(pageSlice(index).limit(pageSize));
    } finally {
      gate.exit();
    }
  }

  @Override
  public void startDirtyLog() {
    dirty.fill(false);
    logging = true;
  }

  @Override
  public BitSet fetchDirtyPages() {
    return BitSet.valueOf(dirty.drain());
  }

  @Override
  public void stopDirtyLog() {
    logging = false;
  }

  @Override
  public void pause() {
    gate.pause();
  }

  @Override
  public void resume() {
    gate.resume();
  }

  @Override
  public void throttle(int percent) {
    if (percent < 0 || percent > 99) {
      throw new IllegalArgumentException("percent must be between 0 and 99, but was " + percent);
    }
    gate.throttle(percent);
  }

  // ---------------------------------------------------------------- ReceivingMemory

  @Override
  public void receivePage(int index, ByteBuffer src) {
    Checks.index(index, pageCount);
    if (src.remaining() < pageSize) {
      throw new IllegalArgumentException(
          "src must hold a page of " + pageSize + " bytes, but has " + src.remaining());
    }
    boolean demand = faults != null;
    if (demand && isPresent(index)) {
      src.position(src.position() + pageSize);
      return;
    }
    gate.enterRead();
    try {
      pageSlice(index).put(src.slice(src.position(), pageSize));
      src.position(src.position() + pageSize);
    } finally {
      gate.exit();
    }
    present.set(index);
    if (demand) {
      synchronized (arrivals) {
        arrivals.notifyAll();
      }
    }
  }

  @Override
  public boolean isPresent(int index) {
    Checks.index(index, pageCount);
    return present.get(index);
  }

  @Override
  public void discardPage(int index) {
    Checks.index(index, pageCount);
    present.clear(index);
  }

  @Override
  public void demandPaging(@Nullable PageFaultHandler handler) {
    synchronized (arrivals) {
      faults = handler;
      arrivals.notifyAll();
    }
  }

  /** Marks every page present, as a memory that is not receiving a migration is. */
  void markAllPresent() {
    present.fill(true);
  }

  @Override
  public void discardAll() {
    close();
  }

  // ---------------------------------------------------------------- lifecycle

  /** Frees the memory at once, after accesses in progress end. Idempotent. */
  @Override
  public void close() {
    if (!gate.close()) {
      return;
    }
    synchronized (arrivals) {
      arrivals.notifyAll();
    }
    gate.awaitIdle();
    for (ByteBuffer chunk : chunks) {
      DirectBuffers.free(chunk);
    }
  }

  /** Returns whether {@link #close()} was called. */
  public boolean isClosed() {
    return gate.isClosed();
  }

  @Override
  public String toString() {
    return "PagedMemory[" + pageCount + " pages of " + pageSize + " bytes]";
  }

  // ---------------------------------------------------------------- internals

  private void checkRange(long offset, int length) {
    if (offset < 0 || length < 0 || offset > size() - length) {
      throw new IndexOutOfBoundsException(
          "range [" + offset + ", " + (offset + length) + ") is outside memory of " + size());
    }
  }

  private ByteBuffer chunkAt(long offset) {
    return chunks[(int) (offset >>> 30)];
  }

  private ByteBuffer pageSlice(int index) {
    ByteBuffer chunk = chunks[index >>> chunkShift];
    int at = (index & chunkMask) << pageShift;
    return chunk.slice(at, chunk.capacity() - at);
  }

  private void markDirty(int first, int last) {
    if (!logging) {
      return;
    }
    for (int page = first; page <= last; page++) {
      dirty.setIfClear(page);
    }
  }

  private void awaitPresent(int first, int last) {
    PageFaultHandler handler = faults;
    if (handler == null) {
      return;
    }
    for (int page = first; page <= last; page++) {
      while (!isPresent(page)) {
        if (gate.isClosed()) {
          throw new IllegalStateException("PagedMemory is closed");
        }
        PageFaultHandler current = faults;
        if (current == null) {
          break;
        }
        current.requestPage(page);
        synchronized (arrivals) {
          if (!isPresent(page) && faults != null && !gate.isClosed()) {
            try {
              arrivals.wait(100);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException("interrupted waiting for page " + page, e);
            }
          }
        }
      }
    }
  }
}
