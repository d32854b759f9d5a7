package dev.livemigration.testkit;

import static dev.livemigration.testkit.junit.MigrationAssertions.assertThatEvents;
import static dev.livemigration.testkit.junit.MigrationAssertions.assertThatMigration;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.Drain;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.testkit.junit.WithSimulatedCluster;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The testkit guide's example (docs/testkit.md): copy it to test your own control plane. */
@WithSimulatedCluster(nodes = 3)
@DisplayName("A control plane using the testkit")
class DrainAndPolicyExampleTest {

  @Test
  @DisplayName("drains a node under the cluster's limits and leaves unmigratable VMIs behind")
  void drainsANodeUnderLimits(SimulatedCluster cluster) {
    cluster.configure(
        MigrationConfiguration.builder()
            .parallelMigrationsPerCluster(3)
            .parallelOutboundMigrationsPerNode(2)
            .build());
    for (int i = 1; i <= 6; i++) {
      cluster.addVmi("vmi-" + i, vmi -> vmi.on("node01").memory("2Gi").dirtyRate("10Mi"));
    }
    cluster.addVmi("vmi-pinned", vmi -> vmi.on("node01").claim("data", AccessMode.READ_WRITE_ONCE));
    cluster.taint("node01", "kubevirt.io/drain");

    Drain drain = cluster.engine().drain("node01");
    cluster.runUntilIdle();

    assertEquals(6, drain.migrations().size());
    drain.migrations().forEach(handle -> assertThatMigration(handle).succeeded());
    assertTrue(drain.skipped().get("default/vmi-pinned").contains("ReadWriteMany"));
    assertThatEvents(cluster.events()).eachMigrationEndsOnce().neverExceeds(3, 2);
    for (int i = 1; i <= 6; i++) {
      assertNotEquals("node01", cluster.nodeOf("vmi-" + i));
    }
    assertEquals("node01", cluster.nodeOf("vmi-pinned"));
  }

  @Test
  @DisplayName("lets a policy enable post-copy for labelled VMIs that pre-copy cannot move")
  void policyEnablesPostCopy(SimulatedCluster cluster, MigrationEngine engine) {
    cluster.configure(
        MigrationConfiguration.builder()
            .bandwidthPerMigration(Quantity.parse("32Mi"))
            .completionTimeoutPerGiB(Duration.ofSeconds(60))
            .build());
    cluster.addPolicy(
        MigrationPolicy.builder()
            .name("databases-may-post-copy")
            .putVirtualMachineInstanceSelector("workload-type", "db")
            .allowPostCopy(true)
            .build());
    cluster.addVmi(
        "vmi-db", vmi -> vmi.memory("1Gi").dirtyRate("64Mi").label("workload-type", "db"));
    cluster.addVmi("vmi-web", vmi -> vmi.memory("1Gi").dirtyRate("64Mi"));

    MigrationHandle db = engine.migrate(VirtualMachineInstanceMigration.of("move-db", "vmi-db"));
    MigrationHandle web = engine.migrate(VirtualMachineInstanceMigration.of("move-web", "vmi-web"));
    cluster.runUntilIdle();

    assertThatMigration(db)
        .succeeded()
        .endedInMode(MigrationMode.POST_COPY)
        .usedPolicy("databases-may-post-copy");
    assertThatMigration(web).failedWith("completion timeout");
    assertEquals("node01", cluster.nodeOf("vmi-web"), "the web VMI still runs on its source");
  }
}
