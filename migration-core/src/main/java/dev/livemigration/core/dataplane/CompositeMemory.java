package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigratableMemory;
import dev.livemigration.api.spi.ReceivingMemory;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A guest's memory and its disks to copy, seen as one page space (memory first, then each disk):
 * block migration moves them together, with one dirty log, one pause and one integrity check. Every
 * part must have the same page size.
 */
final class CompositeMemory {
  private CompositeMemory() {}

  private static int[] offsets(List<Integer> counts) {
    int[] offsets = new int[counts.size() + 1];
    long total = 0;
    for (int i = 0; i < counts.size(); i++) {
      offsets[i] = (int) total;
      total += counts.get(i);
      if (total > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "memory and disks need " + total + " pages, more than " + Integer.MAX_VALUE);
      }
    }
    offsets[counts.size()] = (int) total;
    return offsets;
  }

  private static int part(int[] offsets, int index) {
    Checks.index(index, offsets[offsets.length - 1]);
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

  private static int pageSizeOf(List<Integer> sizes) {
    int size = sizes.get(0);
    for (int other : sizes) {
      if (other != size) {
        throw new IllegalArgumentException(
            "every part must have pages of " + size + " bytes, but one has " + other);
      }
    }
    return size;
  }

  /** The source side. */
  static final class Source implements MigratableMemory {
    private final List<MigratableMemory> parts;
    private final int pageSize;
    private final int[] offsets;

    Source(List<MigratableMemory> parts) {
      this.parts = List.copyOf(parts);
      this.pageSize = pageSizeOf(this.parts.stream().map(MigratableMemory::pageSize).toList());
      this.offsets = offsets(this.parts.stream().map(MigratableMemory::pageCount).toList());
    }

    @Override
    public int pageSize() {
      return pageSize;
    }

    @Override
    public int pageCount() {
      return offsets[offsets.length - 1];
    }

    @Override
    public void readPage(int index, ByteBuffer dst) {
      int part = part(offsets, index);
      parts.get(part).readPage(index - offsets[part], dst);
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
    private final List<ReceivingMemory> parts;
    private final int pageSize;
    private final int[] offsets;

    Target(List<ReceivingMemory> parts) {
      this.parts = List.copyOf(parts);
      this.pageSize = pageSizeOf(this.parts.stream().map(ReceivingMemory::pageSize).toList());
      this.offsets = offsets(this.parts.stream().map(ReceivingMemory::pageCount).toList());
    }

    List<ReceivingMemory> parts() {
      return parts;
    }

    @Override
    public int pageSize() {
      return pageSize;
    }

    @Override
    public int pageCount() {
      return offsets[offsets.length - 1];
    }

    @Override
    public void receivePage(int index, ByteBuffer src) {
      int part = part(offsets, index);
      parts.get(part).receivePage(index - offsets[part], src);
    }

    @Override
    public boolean isPresent(int index) {
      int part = part(offsets, index);
      return parts.get(part).isPresent(index - offsets[part]);
    }

    @Override
    public void discardPage(int index) {
      int part = part(offsets, index);
      parts.get(part).discardPage(index - offsets[part]);
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
