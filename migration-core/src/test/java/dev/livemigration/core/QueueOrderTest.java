package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationPriority;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Node;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.core.ScriptedBackend.Call;
import dev.livemigration.core.ScriptedBackend.Step;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Queue order and target labels of a request")
class QueueOrderTest {

  private static MigrationHandle migrate(Harness harness, String vmi, MigrationPriority priority) {
    VirtualMachineInstanceMigration.Builder request =
        VirtualMachineInstanceMigration.builder().name("job-" + vmi).vmiName(vmi);
    if (priority != null) {
      request.priority(priority);
    }
    return harness.engine().migrate(request.build());
  }

  @Test
  @DisplayName(
      "spec.priority: system-critical, user-triggered, system-maintenance, then none; FIFO")
  void higherPrioritiesStartFirst() {
    Harness harness = new Harness().configure(c -> c.parallelMigrationsPerCluster(1));
    harness.inventory.nodes("node1", "node2", "node3", "node4", "node5", "node6", "node7");
    harness.inventory.nodes("spare");
    String[] vmis = {
      "running", "none", "maintenance", "critical-1", "user", "critical-2", "none-2"
    };
    MigrationPriority[] priorities = {
      null,
      null,
      MigrationPriority.SYSTEM_MAINTENANCE,
      MigrationPriority.SYSTEM_CRITICAL,
      MigrationPriority.USER_TRIGGERED,
      MigrationPriority.SYSTEM_CRITICAL,
      null
    };
    for (int i = 0; i < vmis.length; i++) {
      harness.vmis("node" + (i + 1), vmis[i]);
    }
    migrate(harness, vmis[0], priorities[0]);
    harness.runDue();
    for (int i = 1; i < vmis.length; i++) {
      migrate(harness, vmis[i], priorities[i]);
    }

    harness.runUntilIdle();

    assertThat(harness.backend.calls(Step.OPEN).stream().map(Call::vmi).toList())
        .containsExactly(
            "running", "critical-1", "critical-2", "user", "maintenance", "none", "none-2");
  }

  @Test
  @DisplayName("spec.addedNodeSelector: the target carries those labels, or the migration fails")
  void addedNodeSelector() {
    Harness harness = new Harness();
    harness.inventory.nodes("node1", "plain");
    harness.inventory.node(
        Node.builder()
            .name("labelled")
            .address("10.128.0.9")
            .labels(Map.of("zone", "b", "gpu", "yes"))
            .build());
    harness.vmis("node1", "vmi-a", "vmi-b");

    MigrationHandle fits =
        harness
            .engine()
            .migrate(
                VirtualMachineInstanceMigration.builder()
                    .name("fits")
                    .vmiName("vmi-a")
                    .addedNodeSelector(Map.of("zone", "b"))
                    .build());
    MigrationHandle none =
        harness
            .engine()
            .migrate(
                VirtualMachineInstanceMigration.builder()
                    .name("none")
                    .vmiName("vmi-b")
                    .addedNodeSelector(Map.of("zone", "c"))
                    .build());
    harness.runUntilIdle();

    assertThat(fits.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    assertThat(fits.state().targetNode()).contains("labelled");
    MigrationState failed = none.state();
    assertThat(failed.phase()).isEqualTo(MigrationPhase.FAILED);
    assertThat(failed.failureReason().orElseThrow())
        .contains("spec.addedNodeSelector")
        .contains("zone=c");
  }
}
