package dev.livemigration.core.dataplane;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One bit per page, each read and updated atomically without a lock: which pages of a {@link
 * PagedMemory} are dirty, or present.
 */
final class PageBits {
  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

  private final long[] words;

  PageBits(int pageCount) {
    this.words = new long[(pageCount + 63) >>> 6];
  }

  /** Whether the page's bit is set. */
  boolean get(int index) {
    return ((long) LONGS.getVolatile(words, index >>> 6) & (1L << index)) != 0;
  }

  void set(int index) {
    LONGS.getAndBitwiseOr(words, index >>> 6, 1L << index);
  }

  /** Sets the page's bit, skipping the atomic update when it is set already. */
  void setIfClear(int index) {
    long bit = 1L << index;
    int word = index >>> 6;
    if (((long) LONGS.getOpaque(words, word) & bit) == 0) {
      LONGS.getAndBitwiseOr(words, word, bit);
    }
  }

  void clear(int index) {
    LONGS.getAndBitwiseAnd(words, index >>> 6, ~(1L << index));
  }

  /** Sets every bit (and the bits past the last page) to {@code set}. */
  void fill(boolean set) {
    long value = set ? -1L : 0L;
    for (int i = 0; i < words.length; i++) {
      LONGS.setVolatile(words, i, value);
    }
  }

  /** Clears every bit and returns the words as they were. */
  long[] drain() {
    long[] drained = new long[words.length];
    for (int i = 0; i < drained.length; i++) {
      if ((long) LONGS.getOpaque(words, i) != 0) {
        drained[i] = (long) LONGS.getAndSet(words, i, 0L);
      }
    }
    return drained;
  }
}
