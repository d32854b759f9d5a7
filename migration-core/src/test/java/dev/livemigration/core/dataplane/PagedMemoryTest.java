package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("PagedMemory")
class PagedMemoryTest {

  @Nested
  @DisplayName("allocation")
  class Allocation {
    @Test
    @DisplayName("rejects page sizes that are not powers of two in range, naming the value")
    void rejectsBadPageSize() {
      assertThatThrownBy(() -> PagedMemory.allocate(1000, 4))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("pageSize")
          .hasMessageContaining("1000");
      assertThatThrownBy(() -> PagedMemory.allocate(256, 4))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> PagedMemory.allocate(4096, 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("pageCount");
      assertThatThrownBy(() -> PagedMemory.allocate(4097))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("4097");
    }

    @Test
    @DisplayName("starts zeroed and reports its geometry")
    void startsZeroed() {
      try (PagedMemory memory = PagedMemory.allocate(64 << 10)) {
        assertThat(memory.pageSize()).isEqualTo(4096);
        assertThat(memory.pageCount()).isEqualTo(16);
        assertThat(memory.size()).isEqualTo(64 << 10);
        assertThat(memory.read(0, 64 << 10)).containsOnly(0);
      }
    }
  }

  @Nested
  @DisplayName("reads and writes")
  class ReadsAndWrites {
    @Test
    @DisplayName("reads back what was written, across page boundaries")
    void roundTrip() {
      try (PagedMemory memory = PagedMemory.allocate(4096, 8)) {
        byte[] data = new byte[6000];
        for (int i = 0; i < data.length; i++) {
          data[i] = (byte) (i * 31);
        }
        memory.write(3000, data);
        memory.putLong(4092, 0x0102030405060708L);
        assertThat(memory.getLong(4092)).isEqualTo(0x0102030405060708L);
        memory.write(3000, data);
        assertThat(memory.read(3000, 6000)).isEqualTo(data);
      }
    }

    @Test
    @DisplayName("refuses ranges outside the memory")
    void refusesOutside() {
      try (PagedMemory memory = PagedMemory.allocate(4096, 2)) {
        assertThatThrownBy(() -> memory.write(8190, new byte[4]))
            .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> memory.getLong(-8)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> memory.readPage(2, ByteBuffer.allocate(4096)))
            .isInstanceOf(IndexOutOfBoundsException.class);
      }
    }

    @Test
    @DisplayName("readPage copies exactly one page")
    void readPage() {
      try (PagedMemory memory = Guests.random(4, 7)) {
        ByteBuffer page = ByteBuffer.allocate(4096);
        memory.readPage(2, page);
        assertThat(page.position()).isEqualTo(4096);
        assertThat(page.array()).isEqualTo(memory.read(2 * 4096, 4096));
      }
    }
  }

  @Nested
  @DisplayName("dirty logging")
  class DirtyLogging {
    @Test
    @DisplayName("reports the pages written since the last fetch, and only while logging")
    void reportsWrittenPages() {
      try (PagedMemory memory = PagedMemory.allocate(4096, 200)) {
        memory.putLong(0, 1);
        memory.startDirtyLog();
        assertThat(memory.fetchDirtyPages().isEmpty()).isTrue();
        memory.putLong(4096L * 3, 1);
        memory.write(4096L * 64 - 2, new byte[4]);
        memory.putLong(4096L * 199 + 8, 1);
        BitSet dirty = memory.fetchDirtyPages();
        assertThat(dirty.stream().toArray()).containsExactly(3, 63, 64, 199);
        assertThat(memory.fetchDirtyPages().isEmpty()).isTrue();
        memory.stopDirtyLog();
        memory.putLong(0, 2);
        assertThat(memory.fetchDirtyPages().isEmpty()).isTrue();
      }
    }
  }

  @Nested
  @DisplayName("pause, throttle and close")
  class Lifecycle {
    @Test
    @DisplayName("pause blocks writers until resume, and reads go on")
    void pauseBlocksWriters() throws Exception {
      try (PagedMemory memory = PagedMemory.allocate(4096, 4)) {
        memory.pause();
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> memory.putLong(0, 42));
        assertThat(memory.getLong(0)).isZero();
        TimeUnit.MILLISECONDS.sleep(50);
        assertThat(write).isNotDone();
        memory.resume();
        write.get(10, TimeUnit.SECONDS);
        assertThat(memory.getLong(0)).isEqualTo(42);
      }
    }

    @Test
    @DisplayName("an interrupt wakes a writer blocked on a paused memory, with its flag kept")
    void interruptWakesWriter() throws Exception {
      try (PagedMemory memory = PagedMemory.allocate(4096, 4)) {
        memory.pause();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread writer =
            new Thread(
                () -> {
                  try {
                    memory.putLong(0, 42);
                    outcome.complete(null);
                  } catch (RuntimeException e) {
                    outcome.complete(
                        Thread.currentThread().isInterrupted()
                            ? e
                            : new AssertionError("flag lost"));
                  }
                },
                "blocked-writer");
        writer.start();
        TimeUnit.MILLISECONDS.sleep(50);
        writer.interrupt();
        Throwable thrown = outcome.get(10, TimeUnit.SECONDS);
        assertThat(thrown)
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("interrupt");
        assertThat(memory.getLong(0)).as("nothing was written").isZero();
        memory.resume();
      }
    }

    @Test
    @DisplayName("close wakes blocked writers with an IllegalStateException and frees the memory")
    void closeWakesWriters() throws Exception {
      PagedMemory memory = PagedMemory.allocate(4096, 4);
      memory.pause();
      CompletableFuture<Void> write = CompletableFuture.runAsync(() -> memory.putLong(0, 42));
      TimeUnit.MILLISECONDS.sleep(20);
      memory.close();
      memory.close();
      assertThatThrownBy(() -> write.get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> memory.getLong(0)).isInstanceOf(IllegalStateException.class);
      assertThat(memory.isClosed()).isTrue();
    }

    @Test
    @DisplayName("throttle takes a percentage and rejects values out of range")
    void throttle() {
      try (PagedMemory memory = PagedMemory.allocate(4096, 4)) {
        memory.throttle(50);
        memory.putLong(0, 1);
        assertThat(memory.throttlePercent()).isEqualTo(50);
        assertThatThrownBy(() -> memory.throttle(100))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("100");
        memory.throttle(0);
      }
    }
  }

  @Nested
  @DisplayName("integrity helpers")
  class Integrity {
    @Test
    @DisplayName("digest and mismatch tell equal content from different content")
    void digestAndMismatch() {
      try (PagedMemory a = Guests.random(64, 1);
          PagedMemory b = Guests.random(64, 1)) {
        assertThat(a.digestHex()).isEqualTo(b.digestHex());
        assertThat(a.contentEquals(b)).isTrue();
        b.write(4096L * 40 + 17, new byte[] {(byte) (a.read(4096L * 40 + 17, 1)[0] + 1)});
        assertThat(a.mismatch(b)).isEqualTo(4096L * 40 + 17);
        assertThat(a.digestHex()).isNotEqualTo(b.digestHex());
      }
    }
  }

  @Nested
  @DisplayName("as a receiving memory")
  class Receiving {
    @Test
    @DisplayName("tracks present pages and, under demand paging, waits for a missing page")
    void demandPaging() throws Exception {
      try (PagedMemory memory = PagedMemory.allocate(4096, 4)) {
        ByteBuffer page = ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        page.putLong(0, 7);
        memory.receivePage(1, page.duplicate());
        assertThat(memory.isPresent(1)).isTrue();
        assertThat(memory.isPresent(2)).isFalse();
        memory.discardPage(1);
        assertThat(memory.isPresent(1)).isFalse();
        CompletableFuture<Integer> asked = new CompletableFuture<>();
        memory.demandPaging(asked::complete);
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> memory.getLong(4096));
        assertThat(asked.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        page.putLong(0, 9);
        memory.receivePage(1, page.duplicate());
        assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(9);
        page.putLong(0, 11);
        memory.receivePage(1, page.duplicate());
        assertThat(memory.getLong(4096)).as("a present page is the guest's").isEqualTo(9);
        memory.demandPaging(null);
      }
    }
  }
}
