package dev.livemigration.api.spi;

import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * A guest's memory as the built-in data plane sees it on the source: fixed-size pages that can be
 * read, a log of the pages written since the last look, and a way to pause the guest for the final
 * copy. Implementations must be thread-safe.
 */
public interface MigratableMemory {

  /** The size of a page in bytes: a power of two between 512 bytes and 1 MiB. */
  int pageSize();

  /** The number of pages; the memory holds {@code pageSize() * pageCount()} bytes. */
  int pageCount();

  /**
   * Copies page {@code index} into {@code dst} at its position, advancing the position by {@link
   * #pageSize()} bytes.
   *
   * @throws IndexOutOfBoundsException if {@code index} is not a page of this memory
   */
  void readPage(int index, ByteBuffer dst);

  /** Starts logging written pages; until then {@link #fetchDirtyPages()} reports nothing. */
  void startDirtyLog();

  /**
   * Returns the pages written since dirty logging started or since the previous call, and clears
   * the log. A page is reported after the write that dirtied it is visible to {@link #readPage}.
   */
  BitSet fetchDirtyPages();

  /** Stops logging written pages. Idempotent. */
  void stopDirtyLog();

  /** Stops the guest: when this returns, no write is in progress and none starts. */
  void pause();

  /** Lets a paused guest run again. Idempotent. */
  void resume();

  /**
   * Takes {@code percent} of the guest's CPU time away to slow its dirty rate (auto-converge);
   * {@code 0} lifts the throttle. Does nothing unless the memory supports it.
   *
   * @param percent between 0 and 99
   */
  default void throttle(int percent) {}
}
