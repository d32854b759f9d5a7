package dev.livemigration.testkit.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.StallDetector;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.testkit.SimulatedCluster;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Where the model switches over, in virtual time, at 64 MiB/s with the default 900 ms limit (57.6
 * MiB fit): at a local minimum of the expected downtime, not at the first pass end that fits. The
 * last sample's iteration counts the stop-and-copy pass, so a switch after pass {@code k} ends at
 * iteration {@code k + 1}.
 */
@DisplayName("The switch-over point on the model")
class ModelSwitchoverTest {
  private static MigrationConfiguration.Builder at64Mi() {
    return MigrationConfiguration.builder().bandwidthPerMigration(Quantity.parse("64Mi"));
  }

  private static ProgressSample migrate(MigrationConfiguration configuration, String dirtyRate) {
    return migrate(configuration, dirtyRate, "1Gi");
  }

  /** Migrates a 1 GiB guest dirtying this fast over this working set; returns its last sample. */
  private static ProgressSample migrate(
      MigrationConfiguration configuration, String dirtyRate, String workingSet) {
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
      cluster.configure(configuration);
      cluster.addVmi(
          "vmi-guest", vmi -> vmi.memory("1Gi").dirtyRate(dirtyRate).workingSet(workingSet));
      MigrationHandle handle =
          cluster.engine().migrate(VirtualMachineInstanceMigration.of("move", "vmi-guest"));
      cluster.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      return state.progress().orElseThrow();
    }
  }

  private static double millis(ProgressSample sample) {
    return sample.downtime().orElseThrow().toNanos() / 1e6;
  }

  @Test
  @DisplayName("a guest whose remainders fall 40 % a pass runs on past the first fit to the floor")
  void fallingGuest() {
    // 60 % of 64 MiB/s over all memory: pass k ends at 1 GiB × 0.6^k. Pass 6 is the first to fit
    // (47.8 MiB, 746 ms); each further pass gains 40 %, worth it down to 1 % of the limit (9 ms).
    ProgressSample last = migrate(at64Mi().build(), "39322Ki");

    assertThat(last.iteration()).isEqualTo(14);
    // After pass 13 the rest takes 20.9 ms: a pass more would gain 8.4 ms, less than 9 ms.
    assertThat(millis(last)).isBetween(20.0, 22.0);
  }

  @Test
  @DisplayName("without the search (searchLocalMinima: false) it switches at the first fit")
  void firstFitWithoutTheSearch() {
    MigrationConfiguration off =
        at64Mi()
            .experimental(
                ExperimentalMigrationOptions.builder()
                    .stallDetector(StallDetector.builder().searchLocalMinima(false).build())
                    .build())
            .build();

    ProgressSample last = migrate(off, "39322Ki");

    assertThat(last.iteration()).isEqualTo(7);
    assertThat(millis(last)).isBetween(740.0, 750.0);
  }

  @Test
  @DisplayName("an idle guest switches at once, after its one pass")
  void idleGuest() {
    ProgressSample last = migrate(at64Mi().build(), "0");

    assertThat(last.iteration()).isEqualTo(2);
    assertThat(last.downtime()).contains(Duration.ZERO);
  }

  @Test
  @DisplayName("a remainder that plateaus below the limit switches on the plateau's first pass")
  void plateau() {
    // A 28 MiB hot set rewritten at 256 MiB/s: every pass ends with 28 MiB (437.5 ms). Pass 1
    // fell from 1 GiB to it, so pass 2 runs; it ends no lower, so the guest is paused.
    ProgressSample last = migrate(at64Mi().build(), "256Mi", "28Mi");

    assertThat(last.iteration()).isEqualTo(3);
    assertThat(millis(last)).isBetween(437.0, 438.0);
  }
}
