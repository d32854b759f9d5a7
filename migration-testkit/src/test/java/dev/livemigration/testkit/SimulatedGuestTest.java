package dev.livemigration.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.BitSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A simulated guest")
class SimulatedGuestTest {

  private static void awaitWrites(SimulatedGuest guest, long atLeast) throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    while (guest.writes() < atLeast && Instant.now().isBefore(deadline)) {
      Thread.sleep(5);
    }
    assertThat(guest.writes()).isGreaterThanOrEqualTo(atLeast);
  }

  @Test
  @DisplayName("has the same content for the same seed and another for another seed")
  void contentFollowsTheSeed() {
    try (SimulatedGuest a = SimulatedGuest.builder().memory(1 << 20).seed(7).build();
        SimulatedGuest b = SimulatedGuest.builder().memory(1 << 20).seed(7).build();
        SimulatedGuest c = SimulatedGuest.builder().memory(1 << 20).seed(8).build()) {
      assertThat(a.memory().digestHex()).isEqualTo(b.memory().digestHex());
      assertThat(a.memory().digestHex()).isNotEqualTo(c.memory().digestHex());
    }
  }

  @Test
  @DisplayName("dirties pages of its working set only")
  void dirtiesItsWorkingSet() throws InterruptedException {
    try (SimulatedGuest guest =
        SimulatedGuest.builder()
            .memory(4 << 20)
            .workingSet(256 << 10)
            .dirtyRate(64 << 20)
            .pattern(DirtyPattern.SEQUENTIAL)
            .build()) {
      guest.memory().startDirtyLog();
      guest.start();
      awaitWrites(guest, 200);
      guest.stop();
      BitSet dirty = guest.memory().fetchDirtyPages();

      assertThat(dirty.cardinality()).isPositive();
      assertThat(dirty.length()).isLessThanOrEqualTo((256 << 10) / 4096);
    }
  }

  @Test
  @DisplayName("does no work while paused, and goes on when resumed")
  void honoursPause() throws InterruptedException {
    try (SimulatedGuest guest =
        SimulatedGuest.builder().memory(1 << 20).dirtyRate(32 << 20).build()) {
      guest.start();
      awaitWrites(guest, 10);
      guest.memory().pause();
      long frozen = guest.writes();
      Thread.sleep(50);
      assertThat(guest.writes()).isLessThanOrEqualTo(frozen + 1);
      guest.memory().resume();
      awaitWrites(guest, frozen + 10);
    }
  }

  @Test
  @DisplayName("an idle guest writes nothing")
  void idleGuest() throws InterruptedException {
    try (SimulatedGuest guest = SimulatedGuest.builder().memory(1 << 20).build()) {
      String before = guest.memory().digestHex();
      guest.start();
      Thread.sleep(20);
      assertThat(guest.writes()).isZero();
      assertThat(guest.memory().digestHex()).isEqualTo(before);
    }
  }
}
