package dev.livemigration.testkit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.testkit.DirtyPattern;
import dev.livemigration.testkit.SimulatedCluster;
import dev.livemigration.testkit.SimulatedVmi;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The model's guests")
class GuestProfileTest {
  private static final double MIB = 1 << 20;

  @Test
  @DisplayName("dirty as many distinct bytes as their pattern finds clean pages")
  void distinctBytes() {
    long set = 16L << 20;
    GuestProfile sequential = new GuestProfile(1, set, GuestProfile.Spread.SEQUENTIAL);
    GuestProfile uniform = new GuestProfile(1, set, GuestProfile.Spread.UNIFORM);
    GuestProfile hotCold = new GuestProfile(1, set, GuestProfile.Spread.HOT_COLD);

    assertThat(sequential.dirtyAfter(8 * MIB)).isEqualTo(8 * MIB);
    assertThat(sequential.dirtyAfter(64 * MIB)).isEqualTo(16 * MIB);
    // n random writes over N pages leave N(1 - e^(-n/N)) distinct pages.
    assertThat(uniform.dirtyAfter(16 * MIB)).isCloseTo(16 * MIB * (1 - Math.exp(-1)), within(1.0));
    assertThat(uniform.dirtyAfter(1e12)).isCloseTo(16 * MIB, within(1.0));
    assertThat(hotCold.dirtyAfter(16 * MIB)).isLessThan(uniform.dirtyAfter(16 * MIB));
    assertThat(new GuestProfile(1, 0, GuestProfile.Spread.HOT_COLD).dirtyAfter(MIB)).isZero();
    assertThat(new GuestProfile(1, set).spread()).isEqualTo(GuestProfile.Spread.SEQUENTIAL);
    assertThat(DirtyPattern.of(GuestProfile.Spread.HOT_COLD)).isEqualTo(DirtyPattern.HOT_COLD);
  }

  @Test
  @DisplayName("say which field is wrong")
  void validation() {
    assertThatThrownBy(() -> new GuestProfile(-1, 0))
        .isInstanceOf(InvalidValueException.class)
        .hasMessage("dirtyRate must be >= 0, but was -1");
    assertThatThrownBy(() -> new GuestProfile(0, -2))
        .isInstanceOf(InvalidValueException.class)
        .hasMessage("workingSet must be >= 0, but was -2");
  }

  private static ProgressSample lastSample(Consumer<SimulatedVmi> vmi) {
    try (SimulatedCluster cluster =
        SimulatedCluster.withNodes(2)
            .configure(
                MigrationConfiguration.builder()
                    .bandwidthPerMigration(Quantity.parse("32Mi"))
                    .build())) {
      cluster.addVmi("vmi", vmi);
      MigrationHandle handle =
          cluster.engine().migrate(VirtualMachineInstanceMigration.of("job", "vmi"));
      cluster.runUntilIdle();
      return cluster.events().stream()
          .filter(
              e -> e instanceof MigrationEvent.Progress && e.migrationUid().equals(handle.uid()))
          .map(e -> ((MigrationEvent.Progress) e).sample())
          .reduce((first, second) -> second)
          .orElseThrow();
    }
  }

  @Test
  @DisplayName("an idle guest takes one pass and an empty stop-and-copy pass, timed to the byte")
  void idleGuest() {
    ProgressSample last = lastSample(vmi -> vmi.memory("64Mi"));

    assertThat(last.status()).isEqualTo(ProgressSample.Status.COMPLETED);
    assertThat(last.elapsed()).isEqualTo(Duration.ofSeconds(2));
    assertThat(last.dataProcessed()).isEqualTo(64L << 20);
    assertThat(last.iteration()).isEqualTo(2);
    assertThat(last.downtime()).contains(Duration.ZERO);
  }

  @Test
  @DisplayName("the stop-and-copy pass takes its time and is counted as a pass")
  void stopAndCopyTakesTime() {
    // 64 MiB at 32 MiB/s: 2 s; meanwhile 4 MiB/s dirty 8 MiB of the sequential working set. That
    // fits the 900 ms allowed, but falls by 7/8 a pass, so the switch waits for the floor (a pass
    // gaining less than 9 ms): 8 MiB in 250 ms, 1 MiB in 31.25 ms, then 128 KiB sent paused in
    // 3.90625 ms.
    ProgressSample last =
        lastSample(vmi -> vmi.memory("64Mi").dirtyRate("4Mi").pattern(DirtyPattern.SEQUENTIAL));

    assertThat(last.elapsed()).isEqualTo(Duration.ofNanos(2_285_156_250L));
    assertThat(last.dataProcessed()).isEqualTo((64L << 20) + (8L << 20) + (1L << 20) + (1L << 17));
    assertThat(last.iteration()).isEqualTo(4);
    assertThat(last.downtime()).contains(Duration.ofNanos(3_906_250));
  }
}
