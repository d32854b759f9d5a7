package dev.livemigration.core;

import static dev.livemigration.core.Harness.bridge;
import static dev.livemigration.core.Harness.pvc;
import static dev.livemigration.core.Harness.vmi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.Drain;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationRejectedException.Reason;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Node;
import dev.livemigration.api.Taint;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Draining a node")
class DrainTest {

  private static Harness cluster() {
    Harness harness = new Harness().configure(c -> c.parallelOutboundMigrationsPerNode(2));
    harness.inventory.nodes("node01", "node02", "node03");
    harness.vmis("node01", "a", "b", "c", "d", "e");
    harness.inventory.vmi(
        vmi("rwo", "node01").addVolumes(pvc("data", AccessMode.READ_WRITE_ONCE)).build());
    harness.inventory.vmi(
        vmi("bridged", "node01").interfaces(List.of(bridge("default", true))).build());
    harness.vmis("node02", "elsewhere");
    return harness;
  }

  @Test
  @DisplayName("migrates every migratable VMI off the node under the per-node limit")
  void migratesEveryMigratableVmi() {
    Harness harness = cluster();

    Drain drain = harness.engine().drain("node01");
    harness.runDue();
    assertThat(harness.backend.openSessions("node01")).isEqualTo(2);
    harness.runUntilIdle();

    assertThat(drain.nodeName()).isEqualTo("node01");
    assertThat(drain.migrations()).hasSize(5);
    assertThat(drain.migrations())
        .extracting(h -> h.request().vmiName())
        .containsExactly("a", "b", "c", "d", "e");
    assertThat(drain.migrations())
        .allMatch(h -> h.request().name().startsWith("kubevirt-evacuation-"));
    assertThat(drain.completion()).isCompleted();
    List<MigrationState> states = drain.completion().join();
    assertThat(states).hasSize(5).allMatch(s -> s.phase() == MigrationPhase.SUCCEEDED);
    assertThat(harness.backend.peakOpenSessions("node01")).isEqualTo(2);
    assertThat(harness.inventory.virtualMachineInstances())
        .filteredOn(vmi -> vmi.nodeName().equals("node01"))
        .extracting(vmi -> vmi.name())
        .containsExactlyInAnyOrder("rwo", "bridged");
    assertThat(harness.inventory.nodeOf("elsewhere")).isEqualTo("node02");
  }

  @Test
  @DisplayName("lists the VMIs it cannot migrate with the reason")
  void listsSkipped() {
    Harness harness = cluster();

    Drain drain = harness.engine().drain("node01");

    assertThat(drain.skipped()).containsOnlyKeys("default/rwo", "default/bridged");
    assertThat(drain.skipped().get("default/rwo")).contains("DisksNotLiveMigratable");
    assertThat(drain.skipped().get("default/bridged")).contains("InterfaceNotLiveMigratable");
  }

  @Test
  @DisplayName("never moves a VMI onto a node tainted for draining")
  void avoidsDrainingNodes() {
    Harness harness = cluster();
    harness.inventory.node(
        Node.builder()
            .name("node02")
            .address("10.128.0.2")
            .addTaints(Taint.of("kubevirt.io/drain"))
            .build());

    Drain drain = harness.engine().drain("node01");
    harness.runUntilIdle();

    assertThat(drain.migrations())
        .allMatch(h -> h.state().targetNode().orElseThrow().equals("node03"));
  }

  @Test
  @DisplayName("respects the cluster limit together with other migrations")
  void sharesTheClusterLimit() {
    Harness harness = cluster().configure(c -> c.parallelMigrationsPerCluster(2));
    harness.backend.defaultScript(Script.dirtying(Script.MIB_64 / 2));
    MigrationHandle other = harness.migrate("other", "elsewhere");

    Drain drain = harness.engine().drain("node01");
    harness.runUntilIdle();

    assertThat(harness.backend.peakOpenSessions()).isEqualTo(2);
    assertThat(other.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    assertThat(drain.completion().join()).allMatch(s -> s.phase() == MigrationPhase.SUCCEEDED);
  }

  @Test
  @DisplayName("of an empty node has nothing to do and completes at once")
  void emptyNode() {
    Harness harness = cluster();

    Drain drain = harness.engine().drain("node03");

    assertThat(drain.migrations()).isEmpty();
    assertThat(drain.skipped()).isEmpty();
    assertThat(drain.completion()).isCompletedWithValue(List.of());
  }

  @Test
  @DisplayName("of an unknown node is rejected with NODE_NOT_FOUND")
  void unknownNode() {
    Harness harness = cluster();

    assertThatThrownBy(() -> harness.engine().drain("node99"))
        .isInstanceOfSatisfying(
            MigrationRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.NODE_NOT_FOUND))
        .hasMessageContaining("node99");
  }

  @Test
  @DisplayName("lets its migrations be cancelled one by one")
  void cancelOne() {
    Harness harness = cluster();
    harness.backend.defaultScript(Script.neverConverging());

    Drain drain = harness.engine().drain("node01");
    harness.advanceSeconds(5);
    drain.migrations().forEach(MigrationHandle::cancel);
    harness.runUntilIdle();

    assertThat(drain.completion().join())
        .allMatch(s -> s.abortRequested() && s.phase() == MigrationPhase.FAILED);
    assertThat(harness.inventory.virtualMachineInstances())
        .filteredOn(vmi -> !vmi.name().equals("elsewhere"))
        .allMatch(vmi -> vmi.nodeName().equals("node01"));
  }
}
