package dev.livemigration.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A simulated cluster's clock")
class ClockStartTest {

  @Test
  @DisplayName("starts at the guide's date by default, so that tests are the same every run")
  void defaultStart() {
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(1)) {
      assertThat(cluster.time().now()).isEqualTo(Instant.parse("2019-03-29T04:02:47Z"));
    }
  }

  @Test
  @DisplayName("starts where told, and the migration's timestamps follow it")
  void startWhereTold() {
    Instant start = Instant.parse("2026-05-04T10:00:00Z");
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(2, start)) {
      cluster.addVmi("vmi-a", vmi -> vmi.on("node01").memory("64Mi"));
      assertThat(cluster.time().now()).isEqualTo(start);
      MigrationHandle handle =
          cluster.engine().migrate(VirtualMachineInstanceMigration.of("job", "vmi-a"));
      cluster.runUntilIdle();
      MigrationState state = handle.state();
      assertThat(state.startTimestamp())
          .hasValueSatisfying(t -> assertThat(t).isAfterOrEqualTo(start));
      assertThat(state.endTimestamp())
          .hasValueSatisfying(t -> assertThat(t).isBefore(start.plusSeconds(3600)));
    }
  }

  @Test
  @DisplayName("needs a start")
  void nullStart() {
    assertThatThrownBy(() -> SimulatedCluster.withNodes(1, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("clockStart");
  }
}
