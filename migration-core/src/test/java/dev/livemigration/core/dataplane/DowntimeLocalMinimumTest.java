package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.spi.MigratableMemory;
import dev.livemigration.core.SwitchoverPoint;
import dev.livemigration.core.dataplane.transport.Transports;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Where the data plane switches over, on real bytes over loopback TCP: {@value #PAGES} pages of 4
 * KiB at {@value #BANDWIDTH} bytes per second with a 2 s limit, and a guest that writes, at the end
 * of each pass, a scripted number of pages: 1024, 512, 256, then 256 again. Every pass end fits the
 * limit (1024 pages take 0.5 s, 2 s at a quarter of the bandwidth), so a switch at the first fit
 * pauses after pass 1; the expected downtime falls until pass 3 and stops falling at pass 4, so the
 * local minimum is there. The script makes the remainders independent of the machine's speed:
 * nothing here is timed.
 */
@DisplayName("The data plane's switch-over point")
class DowntimeLocalMinimumTest {
  static final int PAGES = 4096;
  static final long BANDWIDTH = 8L << 20;
  static final Duration LIMIT = Duration.ofSeconds(2);

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  /**
   * A guest that writes {@code script[k]} pages (with fresh random bytes) when its dirty log is
   * fetched for the {@code k}-th time, i.e. at the end of pass {@code k + 1}, unless it is paused;
   * it remembers whether it was paused at each fetch.
   */
  static final class ScriptedGuest implements MigratableMemory {
    private final PagedMemory memory;
    private final int[] script;
    private final Random random = new Random(5);
    private final List<Boolean> pausedAtFetch = new ArrayList<>();

    ScriptedGuest(PagedMemory memory, int... script) {
      this.memory = memory;
      this.script = script;
    }

    /** The pass ends at which the guest ran (it was not paused yet), in order. */
    synchronized int passEndsRunning() {
      return (int) pausedAtFetch.stream().takeWhile(paused -> !paused).count();
    }

    @Override
    public synchronized BitSet fetchDirtyPages() {
      int fetch = pausedAtFetch.size();
      boolean paused = memory.isPaused();
      pausedAtFetch.add(paused);
      if (!paused && fetch < script.length) {
        byte[] page = new byte[memory.pageSize()];
        for (int i = 0; i < script[fetch]; i++) {
          random.nextBytes(page);
          memory.write((long) i * memory.pageSize(), page);
        }
      }
      return memory.fetchDirtyPages();
    }

    @Override
    public int pageSize() {
      return memory.pageSize();
    }

    @Override
    public int pageCount() {
      return memory.pageCount();
    }

    @Override
    public void readPage(int index, ByteBuffer dst) {
      memory.readPage(index, dst);
    }

    @Override
    public void startDirtyLog() {
      memory.startDirtyLog();
    }

    @Override
    public void stopDirtyLog() {
      memory.stopDirtyLog();
    }

    @Override
    public void pause() {
      memory.pause();
    }

    @Override
    public void resume() {
      memory.resume();
    }
  }

  /** Migrates the scripted guest with this rule; returns it once the target holds its bytes. */
  private static ScriptedGuest migrate(PagedMemory source, SwitchoverPoint rule) throws Exception {
    ScriptedGuest guest = new ScriptedGuest(source, 1024, 512, 256, 256, 256, 256, 256, 256);
    TransferOptions options =
        TransferOptions.defaults().withBandwidth(BANDWIDTH).withMaxDowntime(LIMIT);
    try (TargetAgent agent =
        TargetAgent.start(Transports.byId("tcp"), Transfers.LOOPBACK, options.ioTimeout())) {
      String uid = UUID.randomUUID().toString();
      IncomingMigration incoming =
          agent.expect(
              uid, source.pageSize(), PAGES, () -> PagedMemory.allocate(source.pageSize(), PAGES));
      try (OutgoingMigration out =
          OutgoingMigration.start(
              guest,
              Transports.byId("tcp"),
              uid,
              incoming.token(),
              options,
              new ChannelRouting(List.of(agent.address()), -1, 0),
              rule)) {
        Transfers.Outcome outcome =
            new Transfers.Outcome(
                out.completion().get(60, TimeUnit.SECONDS), incoming.completion());
        try (PagedMemory target = Transfers.assertIdentical(outcome, source)) {
          assertThat(outcome.last().downtime()).isPresent();
        }
      }
    }
    source.resume();
    return guest;
  }

  @Test
  @DisplayName("pauses the guest where the expected downtime stopped falling, not at the first fit")
  void atTheLocalMinimum() throws Exception {
    try (PagedMemory source = Guests.random(PAGES, 51)) {
      ScriptedGuest guest = migrate(source, SwitchoverPoint.localMinimum());

      // 1024 → 512 → 256 pages fall by half each pass; 256 again does not: pause after pass 4.
      assertThat(guest.passEndsRunning()).isEqualTo(4);
    }
  }

  @Test
  @DisplayName("without the search, pauses the guest at the first pass end where the rest fits")
  void atTheFirstFit() throws Exception {
    try (PagedMemory source = Guests.random(PAGES, 52)) {
      ScriptedGuest guest = migrate(source, SwitchoverPoint.firstFit());

      assertThat(guest.passEndsRunning()).isEqualTo(1);
    }
  }
}
