package dev.livemigration.testkit.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.DowntimeTuning;
import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.testkit.SimulatedCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The engine's stall rule, downtime limit and workload disruption on the model backend, in virtual
 * time: passes, dirty rates and the switch-over as the model computes them.
 */
@DisplayName("Convergence on the model")
class ModelConvergenceTest {
  private static MigrationConfiguration.Builder at64Mi() {
    return MigrationConfiguration.builder().bandwidthPerMigration(Quantity.parse("64Mi"));
  }

  private static MigrationHandle migrate(SimulatedCluster cluster, String vmi) {
    return cluster.engine().migrate(VirtualMachineInstanceMigration.of("move-" + vmi, vmi));
  }

  private static List<Directive> directives(SimulatedCluster cluster) {
    return cluster.events().stream()
        .filter(MigrationEvent.DirectiveApplied.class::isInstance)
        .map(e -> ((MigrationEvent.DirectiveApplied) e).directive())
        .toList();
  }

  @Test
  @DisplayName("a 16Gi guest whose passes shrink by 40 % completes at about 640 s")
  void longShrinkingPasses() {
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
      cluster.configure(at64Mi().build());
      // 60 % of 64 MiB/s over all of its memory: each pass starts at 60 % of the one before;
      // pass 1 takes 256 s, pass 2 154 s.
      cluster.addVmi("vmi-big", vmi -> vmi.memory("16Gi").dirtyRate("39322Ki").workingSet("16Gi"));
      Instant start = cluster.time().now();

      MigrationHandle handle = migrate(cluster, "vmi-big");
      cluster.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(Duration.between(start, state.endTimestamp().orElseThrow()).toSeconds())
          .isBetween(600L, 700L);
      assertThat(directives(cluster)).noneMatch(Directive.Abort.class::isInstance);
    }
  }

  @Test
  @DisplayName("a guest dirtying faster than the link is paused once stalled, and completes")
  void stalledGuestIsPaused() {
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
      cluster.configure(at64Mi().allowWorkloadDisruption(true).build());
      cluster.addVmi("vmi-hot", vmi -> vmi.memory("2Gi").dirtyRate("128Mi"));

      MigrationHandle handle = migrate(cluster, "vmi-hot");
      cluster.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.PAUSED);
      assertThat(state.modeReason().orElseThrow()).contains("stalled");
      assertThat(directives(cluster)).containsExactly(new Directive.PauseGuest());
      // Paused with the pass under way and what it left behind: at most 2 GiB at 64 MiB/s.
      assertThat(state.progress().orElseThrow().downtime().orElseThrow())
          .isPositive()
          .isLessThanOrEqualTo(Duration.ofSeconds(32));
    }
  }

  @Test
  @DisplayName("the completion budget pauses the guest when workload disruption is allowed")
  void budgetPauses() {
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
      cluster.configure(
          at64Mi()
              .allowWorkloadDisruption(true)
              .completionTimeoutPerGiB(Duration.ofSeconds(60))
              .build());
      // Passes shrink by 5 %: converging, so never stalled, but far too slowly for 60 s.
      cluster.addVmi("vmi-slow", vmi -> vmi.memory("1Gi").dirtyRate("62259Ki").workingSet("1Gi"));
      Instant start = cluster.time().now();

      MigrationHandle handle = migrate(cluster, "vmi-slow");
      cluster.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.PAUSED);
      assertThat(state.modeReason().orElseThrow()).contains("completion timeout of 60 s");
      assertThat(Duration.between(start, state.endTimestamp().orElseThrow()).toSeconds())
          .isBetween(60L, 80L);
    }
  }

  @Test
  @DisplayName("the downtime ramp lets a guest switch once the limit has grown enough")
  void rampSwitchesWhenTheLimitFits() {
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
      // A hot set of 28 MiB rewritten at 256 MiB/s: every pass after the first leaves 28 MiB,
      // 0.44 s at 64 MiB/s, above the ramp's 100 ms start and below its 900 ms end.
      cluster.configure(
          at64Mi()
              .maxDowntimeMs(900)
              .experimental(
                  ExperimentalMigrationOptions.builder()
                      .downtimeTuning(
                          DowntimeTuning.builder()
                              .initialMs(100)
                              .steps(4)
                              .startAfterIteration(2)
                              .cooldown(Duration.ofSeconds(5))
                              .build())
                      .build())
              .build());
      cluster.addVmi("vmi-hot", vmi -> vmi.memory("1Gi").dirtyRate("256Mi").workingSet("28Mi"));

      MigrationHandle handle = migrate(cluster, "vmi-hot");
      cluster.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.PRE_COPY);
      // 100 → 300 → 500 ms: the pass end after the limit reached 500 ms switches.
      assertThat(directives(cluster))
          .containsExactly(
              new Directive.SetMaxDowntime(Duration.ofMillis(300)),
              new Directive.SetMaxDowntime(Duration.ofMillis(500)));
      assertThat(state.progress().orElseThrow().downtime().orElseThrow())
          .isLessThanOrEqualTo(Duration.ofMillis(500));
    }
  }
}
