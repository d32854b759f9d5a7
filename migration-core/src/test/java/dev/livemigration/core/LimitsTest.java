package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.core.ScriptedBackend.Call;
import dev.livemigration.core.ScriptedBackend.Step;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Limits")
class LimitsTest {

  private static List<String> openOrder(Harness harness) {
    return harness.backend.calls(Step.OPEN).stream().map(Call::vmi).toList();
  }

  private static int[] counters(Harness harness) {
    return ((DefaultMigrationEngine) harness.engine()).counters();
  }

  @Nested
  @DisplayName("parallelMigrationsPerCluster")
  class PerCluster {

    @Test
    @DisplayName("runs at most that many at once; the rest wait as Pending and start in order")
    void capsTheCluster() {
      Harness harness = new Harness().configure(c -> c.parallelMigrationsPerCluster(3));
      List<String> vmis = new ArrayList<>();
      for (int i = 1; i <= 8; i++) {
        harness.inventory.nodes("node" + i);
        harness.vmis("node" + i, "vmi-" + i);
        vmis.add("vmi-" + i);
      }
      harness.inventory.nodes("spare");
      List<MigrationHandle> handles = new ArrayList<>();
      for (String vmi : vmis) {
        handles.add(harness.migrate("job-" + vmi, vmi));
      }

      harness.runDue();

      assertThat(harness.backend.openSessions()).isEqualTo(3);
      assertThat(counters(harness)).containsExactly(3, 5);
      MigrationState waiting = handles.get(7).state();
      assertThat(waiting.phase()).isEqualTo(MigrationPhase.PENDING);
      assertThat(waiting.startTimestamp()).isEmpty();
      assertThat(waiting.targetNode()).isEmpty();
      assertThat(waiting.sourceNode()).contains("node8");

      harness.runUntilIdle();

      assertThat(harness.backend.peakOpenSessions()).isEqualTo(3);
      assertThat(handles).allMatch(h -> h.state().phase() == MigrationPhase.SUCCEEDED);
      assertThat(openOrder(harness)).isEqualTo(vmis);
      assertThat(counters(harness)).containsExactly(0, 0);
    }

    @Test
    @DisplayName("by default lets 5 run at once, 2 per node")
    void kubeVirtDefaults() {
      Harness harness = new Harness();
      harness.inventory.nodes("node1", "node2", "node3", "node4", "node5", "node6");
      for (int node = 1; node <= 5; node++) {
        harness.vmis("node" + node, "a" + node, "b" + node, "c" + node);
      }
      for (int node = 1; node <= 5; node++) {
        for (String prefix : List.of("a", "b", "c")) {
          harness.migrate("job-" + prefix + node, prefix + node);
        }
      }

      harness.runUntilIdle();

      assertThat(harness.backend.peakOpenSessions()).isEqualTo(5);
      assertThat(harness.backend.peakOpenSessionsByNode().values()).allMatch(peak -> peak <= 2);
      assertThat(harness.engine().migrations())
          .allMatch(h -> h.state().phase() == MigrationPhase.SUCCEEDED)
          .hasSize(15);
    }
  }

  @Nested
  @DisplayName("parallelOutboundMigrationsPerNode")
  class PerNode {

    @Test
    @DisplayName("lets at most that many leave one node at once, in the order requested")
    void capsEachNode() {
      Harness harness = Harness.twoNodes().configure(c -> c.parallelOutboundMigrationsPerNode(2));
      List<String> vmis = List.of("v1", "v2", "v3", "v4", "v5", "v6");
      vmis.forEach(vmi -> harness.vmis("node01", vmi));
      vmis.forEach(vmi -> harness.migrate("job-" + vmi, vmi));

      harness.runDue();
      assertThat(harness.backend.openSessions("node01")).isEqualTo(2);
      harness.runUntilIdle();

      assertThat(harness.backend.peakOpenSessions("node01")).isEqualTo(2);
      assertThat(openOrder(harness)).isEqualTo(vmis);
      assertThat(harness.inventory.virtualMachineInstances())
          .allMatch(vmi -> vmi.nodeName().equals("node02"));
    }

    @Test
    @DisplayName("does not hold back migrations from other nodes queued behind a full node")
    void othersOvertakeAFullNode() {
      Harness harness = new Harness().configure(c -> c.parallelOutboundMigrationsPerNode(2));
      harness.inventory.nodes("node01", "node02", "node03");
      harness.vmis("node01", "a1", "a2", "a3");
      harness.vmis("node02", "b1");
      harness.backend.defaultScript(Script.neverConverging());
      MigrationHandle a3 = null;
      for (String vmi : List.of("a1", "a2", "a3", "b1")) {
        MigrationHandle handle = harness.migrate("job-" + vmi, vmi);
        if (vmi.equals("a3")) {
          a3 = handle;
        }
      }

      harness.runDue();

      assertThat(openOrder(harness)).containsExactly("a1", "a2", "b1");
      assertThat(a3.state().phase()).isEqualTo(MigrationPhase.PENDING);
      harness.runUntilIdle();
      assertThat(openOrder(harness)).containsExactly("a1", "a2", "b1", "a3");
      assertThat(harness.backend.peakOpenSessions("node01")).isEqualTo(2);
    }
  }

  @Nested
  @DisplayName("slots")
  class Slots {

    @Test
    @DisplayName("are given back by failed and cancelled migrations too")
    void givenBackOnFailure() {
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "broken", "cancelled", "stuck", "fine")
              .configure(c -> c.parallelMigrationsPerCluster(1));
      harness.backend.script("broken", Script.CONVERGING.failing(Step.OPEN, "no route to host"));
      harness.backend.script("stuck", Script.neverConverging());
      harness.migrate("job-broken", "broken");
      MigrationHandle cancelled = harness.migrate("job-cancelled", "cancelled");
      MigrationHandle stuck = harness.migrate("job-stuck", "stuck");
      MigrationHandle fine = harness.migrate("job-fine", "fine");
      harness.runDue();
      cancelled.cancel();

      harness.runUntilIdle();

      assertThat(stuck.state().phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(fine.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(harness.backend.peakOpenSessions()).isEqualTo(1);
      assertThat(counters(harness)).containsExactly(0, 0);
    }
  }

  @Nested
  @DisplayName("live reconfiguration")
  class Reconfiguration {

    @Test
    @DisplayName("raising the cluster limit starts waiting migrations at once")
    void raisingStartsWaiting() {
      Harness harness = new Harness().configure(c -> c.parallelMigrationsPerCluster(1));
      harness.inventory.nodes("node1", "node2", "node3", "node4");
      harness.vmis("node1", "a");
      harness.vmis("node2", "b");
      harness.vmis("node3", "c");
      harness.backend.defaultScript(Script.neverConverging());
      harness.migrate("job-a", "a");
      harness.migrate("job-b", "b");
      harness.migrate("job-c", "c");
      harness.advanceSeconds(10);
      assertThat(harness.backend.openSessions()).isEqualTo(1);

      harness
          .engine()
          .reconfigure(
              dev.livemigration.api.MigrationConfiguration.builder()
                  .from(harness.engine().configuration())
                  .parallelMigrationsPerCluster(3)
                  .build());
      harness.runDue();

      assertThat(harness.backend.openSessions()).isEqualTo(3);
      assertThat(harness.engine().configuration().parallelMigrationsPerCluster()).isEqualTo(3);
    }

    @Test
    @DisplayName("lowering the cluster limit stops nothing but starts nothing until below it")
    void loweringLetsRunningFinish() {
      Harness harness = new Harness().configure(c -> c.parallelMigrationsPerCluster(3));
      harness.inventory.nodes("node1", "node2", "node3", "node4", "node5");
      for (int i = 1; i <= 4; i++) {
        harness.vmis("node" + i, "vmi-" + i);
      }
      List<MigrationHandle> handles = new ArrayList<>();
      for (int i = 1; i <= 4; i++) {
        handles.add(harness.migrate("job-" + i, "vmi-" + i));
      }
      harness.runDue();

      harness
          .engine()
          .reconfigure(
              dev.livemigration.api.MigrationConfiguration.builder()
                  .parallelMigrationsPerCluster(1)
                  .build());
      harness.backend.resetPeaks();
      harness.runUntilIdle();

      assertThat(handles).allMatch(h -> h.state().phase() == MigrationPhase.SUCCEEDED);
      assertThat(harness.backend.peakOpenSessions()).isEqualTo(3);
      assertThat(harness.backend.times(handles.get(3).uid(), Step.OPEN).get(0))
          .isEqualTo(handles.get(0).state().endTimestamp().orElseThrow());
    }
  }
}
