package dev.livemigration.testkit;

import static dev.livemigration.testkit.junit.MigrationAssertions.assertThatEvents;
import static dev.livemigration.testkit.junit.MigrationAssertions.assertThatMigration;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.ClusterInventory;
import dev.livemigration.core.ManualScheduler;
import dev.livemigration.core.ManualScheduler.TaskFailures;
import dev.livemigration.testkit.junit.WithSimulatedCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Writing scenarios on a simulated cluster")
@WithSimulatedCluster
class ScenarioToolsTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  private static MigrationHandle move(AbstractSimulatedCluster<?> cluster, String vmi) {
    return cluster.engine().migrate(VirtualMachineInstanceMigration.of("move-" + vmi, vmi));
  }

  @Nested
  @DisplayName("listeners")
  class Listeners {
    @Test
    @DisplayName(
        "see every event, in the order the cluster records them, added before or after the engine")
    void seeEveryEvent(SimulatedCluster cluster) {
      List<MigrationEvent> early = new ArrayList<>();
      List<MigrationEvent> late = new ArrayList<>();
      cluster.listener(early::add).addVmi("vmi-a", vmi -> vmi.memory("1Gi"));
      cluster.engine();
      cluster.listener(late::add);

      move(cluster, "vmi-a");
      cluster.runUntilIdle();

      assertThat(early).isEqualTo(cluster.events()).isEqualTo(late);
      assertThat(early.get(early.size() - 1)).isInstanceOf(MigrationEvent.Succeeded.class);
    }

    @Test
    @DisplayName("fail the test from the engine's task with TaskFailures.RETHROW")
    void failTheTest(SimulatedCluster cluster) {
      cluster.time().taskFailures(TaskFailures.RETHROW);
      cluster.addVmi("vmi-a", vmi -> vmi.memory("1Gi"));
      cluster.listener(
          event -> {
            if (event instanceof MigrationEvent.Scheduled) {
              throw new AssertionError("no migration may be scheduled");
            }
          });
      MigrationHandle handle = move(cluster, "vmi-a");

      assertThatThrownBy(cluster::runUntilIdle)
          .isInstanceOf(AssertionError.class)
          .hasMessage("no migration may be scheduled");
      // The listener's failure never reached the engine: the migration goes on.
      cluster.runUntilIdle();
      assertThatMigration(handle).succeeded();
    }
  }

  @Nested
  @DisplayName("a wrapped backend")
  class WrappedBackend {
    @Test
    @DisplayName("fails a step with BackendHooks, for one migration's spec")
    void failsAStep(SimulatedCluster cluster) {
      cluster
          .wrapBackend(
              BackendHooks.none()
                  .before(
                      BackendHooks.Step.START,
                      spec -> {
                        if (spec.vmi().name().equals("vmi-unlucky")) {
                          throw new dev.livemigration.api.spi.BackendException("disk full");
                        }
                      }))
          .addVmi("vmi-unlucky", vmi -> vmi.memory("1Gi"))
          .addVmi("vmi-lucky", vmi -> vmi.memory("1Gi"));

      MigrationHandle unlucky = move(cluster, "vmi-unlucky");
      MigrationHandle lucky = move(cluster, "vmi-lucky");
      cluster.runUntilIdle();

      assertThatMigration(unlucky).failedWith("disk full");
      assertThatMigration(lucky).succeeded();
      assertThat(cluster.nodeOf("vmi-unlucky")).isEqualTo("node01");
    }

    @Test
    @DisplayName("stalls a step at a gate while virtual time runs on another thread")
    void stallsAStep(SimulatedCluster cluster) throws Exception {
      Gate gate = new Gate(PATIENCE);
      cluster
          .wrapBackend(BackendHooks.none().stalling(BackendHooks.Step.PREPARE_TARGET, gate))
          .addVmi("vmi-a", vmi -> vmi.memory("1Gi"));
      MigrationHandle handle = move(cluster, "vmi-a");

      CompletableFuture<Duration> clock = CompletableFuture.supplyAsync(cluster::runUntilIdle);
      assertThat(gate.awaitArrival(PATIENCE)).as("the step reached the gate").isTrue();
      assertThat(cluster.events()).last().isInstanceOf(MigrationEvent.Scheduled.class);
      gate.open();
      clock.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

      assertThatMigration(handle).succeeded();
    }

    @Test
    @DisplayName("composes wrappers in the order set, and only before the engine exists")
    void composes(SimulatedCluster cluster) {
      List<String> order = new CopyOnWriteArrayList<>();
      cluster
          .wrapBackend(
              BackendHooks.none().before(BackendHooks.Step.OPEN, spec -> order.add("inner")))
          .wrapBackend(
              backend ->
                  new ForwardingHypervisorBackend(backend) {
                    @Override
                    public dev.livemigration.api.spi.MigrationSession open(
                        dev.livemigration.api.spi.MigrationSpec spec) {
                      order.add("outer");
                      return super.open(spec);
                    }
                  })
          .addVmi("vmi-a", vmi -> vmi.memory("1Gi"));
      move(cluster, "vmi-a");
      cluster.runUntilIdle();

      assertThat(order).containsExactly("outer", "inner");
      assertThatThrownBy(() -> cluster.wrapBackend(backend -> backend))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("wrapBackend must be set before the engine");
    }
  }

  @Nested
  @DisplayName("a wrapped inventory")
  class WrappedInventory {
    @Test
    @DisplayName("sees the engine's calls and can fail them")
    void seesAndFailsCalls(SimulatedCluster cluster) {
      AtomicInteger moved = new AtomicInteger();
      cluster
          .wrapInventory(
              InventoryHooks.none()
                  .before(InventoryHooks.Step.ON_MIGRATED, moved::incrementAndGet)
                  .failing(InventoryHooks.Step.NAMESPACE_LABELS, "the API server is down"))
          .addVmi("vmi-a", vmi -> vmi.memory("1Gi"));

      assertThatThrownBy(() -> move(cluster, "vmi-a")).hasMessageContaining("API server is down");

      assertThat(moved).hasValue(0);
    }

    @Test
    @DisplayName("is told of each success, through a forwarding decorator")
    void forwards(SimulatedCluster cluster) {
      List<String> told = new ArrayList<>();
      cluster
          .wrapInventory(
              inventory ->
                  new ForwardingClusterInventory(inventory) {
                    @Override
                    public void onMigrated(
                        dev.livemigration.api.VirtualMachineInstance vmi, String targetNode) {
                      told.add(vmi.name() + "->" + targetNode);
                      super.onMigrated(vmi, targetNode);
                    }
                  })
          .addVmi("vmi-a", vmi -> vmi.memory("1Gi"));
      move(cluster, "vmi-a");
      cluster.runUntilIdle();

      assertThat(told).containsExactly("vmi-a->node02");
      assertThat(cluster.nodeOf("vmi-a")).isEqualTo("node02");
      ClusterInventory seen = cluster.inventory();
      assertThat(seen.find("default", "vmi-a").orElseThrow().nodeName()).isEqualTo("node02");
    }
  }

  @Nested
  @DisplayName("virtual time")
  class VirtualTime {
    @Test
    @DisplayName("steps through the engine's tasks one at a time")
    void stepsOneTask(SimulatedCluster cluster, ManualScheduler time) {
      cluster.addVmi("vmi-a", vmi -> vmi.memory("1Gi"));
      MigrationHandle handle = move(cluster, "vmi-a");
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.PENDING);

      int steps = 0;
      while (handle.state().phase() == MigrationPhase.PENDING && time.runNext()) {
        steps++;
      }

      assertThat(steps).isPositive();
      assertThat(handle.state().phase()).isNotEqualTo(MigrationPhase.PENDING);
      assertThat(handle.completion()).isNotDone();
      cluster.runUntilIdle();
      assertThatMigration(handle).succeeded();
    }

    @Test
    @WithSimulatedCluster(taskFailures = TaskFailures.RETHROW)
    @DisplayName("rethrows task failures when the annotation asks")
    void annotationSetsTheMode(ManualScheduler time) {
      assertThat(time.taskFailures()).isEqualTo(TaskFailures.RETHROW);
    }
  }

  @Nested
  @DisplayName("assertions and lookups")
  class AssertionsAndLookups {
    @Test
    @DisplayName("import beside AssertJ's assertThat and fail with an AssertionError")
    void besideAssertJ(SimulatedCluster cluster) {
      cluster.addVmi("vmi-a", vmi -> vmi.memory("1Gi"));
      MigrationHandle handle = move(cluster, "vmi-a");
      cluster.runUntilIdle();

      assertThat(cluster.events()).isNotEmpty().last().isInstanceOf(MigrationEvent.Succeeded.class);
      assertThatEvents(cluster.events()).eachMigrationEndsOnce().neverExceeds(1, 1);
      assertThatThrownBy(() -> assertThatMigration(handle).failedWith("anything"))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("move-vmi-a");
    }

    @Test
    @DisplayName("find the node of a VMI in any namespace")
    void nodeOfAnyNamespace(SimulatedCluster cluster) {
      cluster.addVmi("vmi-db", vmi -> vmi.namespace("prod").memory("1Gi"));
      MigrationHandle handle =
          cluster
              .engine()
              .migrate(
                  VirtualMachineInstanceMigration.builder()
                      .name("move-db")
                      .namespace("prod")
                      .vmiName("vmi-db")
                      .build());
      cluster.runUntilIdle();

      assertThatMigration(handle).succeeded();
      assertThat(cluster.nodeOf("prod", "vmi-db")).isEqualTo("node02");
      assertThatThrownBy(() -> cluster.nodeOf("vmi-db"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("default/vmi-db");
    }
  }
}
