package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigratableMemory;
import dev.livemigration.api.spi.ReceivingMemory;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.ObjIntConsumer;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;

/**
 * A guest's memory and its disks to copy, seen as one page space (memory first, then each disk):
 * block migration moves them together, with one dirty log, one pause and one integrity check. Every
 * part must have the same page size.
 */
final class CompositeMemory {
  private CompositeMemory() {}

  /** Where each part's pages lie in the one page space. */
  private static final class Layout<P> {
    final List<P> parts;
    final int pageSize;

    /** offsets[i] is part i's first page; the last entry is the page count. */
    final int[] offsets;

    Layout(List<P> parts, ToIntFunction<P> pageSize, ToIntFunction<P> pageCount) {
      this.parts = List.copyOf(parts);
      this.pageSize = pageSizeOf(this.parts, pageSize);
      this.offsets = offsetsOf(this.parts, pageCount);
    }

    int pageCount() {
      return offsets[offsets.length - 1];
    }

    /** Calls {@code action} with the part that holds {@code index} and the page's index in it. */
    void at(int index, ObjIntConsumer<P> action) {
      int part = partOf(index);
      action.accept(parts.get(part), index - offsets[part]);
    }

    /** Returns what {@code query} says of the part that holds {@code index} and its own index. */
    boolean test(int index, BiPredicate<P, Integer> query) {
      int part = partOf(index);
      return query.test(parts.get(part), index - offsets[part]);
    }

    private int partOf(int index) {
      Checks.index(index, pageCount());
      int low = 0;
      int high = offsets.length - 2;
      while (low < high) {
        int mid = (low + high + 1) >>> 1;
        if (offsets[mid] <= index) {
          low = mid;
        } else {
          high = mid - 1;
        }
      }
      return low;
    }

    private static <P> int pageSizeOf(List<P> parts, ToIntFunction<P> pageSize) {
      int size = pageSize.applyAsInt(parts.get(0));
      for (P part : parts) {
        int other = pageSize.applyAsInt(part);
        if (other != size) {
          throw new IllegalArgumentException(
              "every part must have pages of " + size + " bytes, but one has " + other);
        }
      }
      return size;
    }

    private static <P> int[] offsetsOf(List<P> parts, ToIntFunction<P> pageCount) {
      int[] offsets = new int[parts.size() + 1];
      long total = 0;
      for (int i = 0; i < parts.size(); i++) {
        offsets[i] = (int) total;
        total += pageCount.applyAsInt(parts.get(i));
        if (total > Integer.MAX_VALUE) {
          throw new IllegalArgumentException(
              "memory and disks need " + total + " pages, more than " + Integer.MAX_VALUE);
        }
      }
      offsets[parts.size()] = (int) total;
      return offsets;
    }
  }

  /** The source side. */
  static final class Source implements MigratableMemory {
    private final Layout<MigratableMemory> layout;
    private final List<MigratableMemory> parts;
    private final int[] offsets;

    Source(List<MigratableMemory> parts) {
      this.layout = new Layout<>(parts, MigratableMemory::pageSize, MigratableMemory::pageCount);
      this.parts = layout.parts;
      this.offsets = layout.offsets;
    }

    @Override
    public int pageSize() {
      return layout.pageSize;
    }

    @Override
    public int pageCount() {
      return layout.pageCount();
    }

    @Override
    public void readPage(int index, ByteBuffer dst) {
      layout.at(index, (part, page) -> part.readPage(page, dst));
    }

    @Override
    public void startDirtyLog() {
      parts.forEach(MigratableMemory::startDirtyLog);
    }

    @Override
    public BitSet fetchDirtyPages() {
      BitSet all = new BitSet(pageCount());
      for (int i = 0; i < parts.size(); i++) {
        BitSet dirty = parts.get(i).fetchDirtyPages();
        int offset = offsets[i];
        int limit = offsets[i + 1] - offset;
        for (int page = dirty.nextSetBit(0);
            page >= 0 && page < limit;
            page = dirty.nextSetBit(page + 1)) {
          all.set(offset + page);
        }
      }
      return all;
    }

    @Override
    public void stopDirtyLog() {
      parts.forEach(MigratableMemory::stopDirtyLog);
    }

    @Override
    public void pause() {
      parts.forEach(MigratableMemory::pause);
    }

    @Override
    public void resume() {
      parts.forEach(MigratableMemory::resume);
    }

    @Override
    public void throttle(int percent) {
      parts.forEach(part -> part.throttle(percent));
    }
  }

  /** The target side. */
  static final class Target implements ReceivingMemory {
    private final Layout<ReceivingMemory> layout;
    private final List<ReceivingMemory> parts;
    private final int[] offsets;

    Target(List<ReceivingMemory> parts) {
      this.layout = new Layout<>(parts, ReceivingMemory::pageSize, ReceivingMemory::pageCount);
      this.parts = layout.parts;
      this.offsets = layout.offsets;
    }

    List<ReceivingMemory> parts() {
      return parts;
    }

    @Override
    public int pageSize() {
      return layout.pageSize;
    }

    @Override
    public int pageCount() {
      return layout.pageCount();
    }

    @Override
    public void receivePage(int index, ByteBuffer src) {
      layout.at(index, (part, page) -> part.receivePage(page, src));
    }

    @Override
    public boolean isPresent(int index) {
      return layout.test(index, ReceivingMemory::isPresent);
    }

    @Override
    public void discardPage(int index) {
      layout.at(index, ReceivingMemory::discardPage);
    }

    @Override
    public void demandPaging(@Nullable PageFaultHandler faults) {
      for (int i = 0; i < parts.size(); i++) {
        int offset = offsets[i];
        parts
            .get(i)
            .demandPaging(faults == null ? null : index -> faults.requestPage(offset + index));
      }
    }

    @Override
    public void activate() {
      parts.forEach(ReceivingMemory::activate);
    }

    @Override
    public void discardAll() {
      parts.forEach(ReceivingMemory::discardAll);
    }
  }
}
