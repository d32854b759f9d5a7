package dev.livemigration.testkit;

import static dev.livemigration.testkit.junit.MigrationAssertions.assertThatMigration;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.NetworkBindingPlugin;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.manifest.Manifests;
import dev.livemigration.testkit.model.GuestProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Describing a simulated cluster")
class ClusterDescriptionTest {

  /**
   * The guide's KubeVirt CR, as the guide indents it, with other limits and a migration network.
   */
  static final String KUBEVIRT =
      """
          apiVersion: kubevirt.io/v1
          kind: Kubevirt
          metadata:
            name: kubevirt
            namespace: kubevirt
          spec:
            configuration:
              developerConfiguration:
                featureGates:
                - LiveMigration
              migrations:
                parallelMigrationsPerCluster: 3
                parallelOutboundMigrationsPerNode: 1
                bandwidthPerMigration: 32Mi
                completionTimeoutPerGiB: 800
                progressTimeout: 150
                disableTLS: false
                nodeDrainTaintKey: "kubevirt.io/drain"
                allowAutoConverge: false
                allowPostCopy: false
                unsafeMigrationOverride: false
                network: migration-network
      """;

  /** A running VMI with a claim on a ReadWriteMany volume, and the claim. */
  static final String VMI =
      """
      apiVersion: kubevirt.io/v1
      kind: VirtualMachineInstance
      metadata:
        name: vmi-fedora
        labels:
          workload-type: web
      spec:
        domain:
          memory:
            guest: 16Mi
          devices:
            interfaces:
            - name: default
              masquerade: {}
        networks:
        - name: default
          pod: {}
        volumes:
        - name: data
          persistentVolumeClaim:
            claimName: fedora-data
      status:
        nodeName: node02
      ---
      apiVersion: v1
      kind: PersistentVolumeClaim
      metadata:
        name: fedora-data
      spec:
        accessModes:
        - ReadWriteMany
      """;

  /** A policy for the VMI and the guide's migration job. */
  static final String POLICY_AND_JOB =
      """
      apiVersion: migrations.kubevirt.io/v1alpha1
      kind: MigrationPolicy
      metadata:
        name: web-policy
      spec:
        selectors:
          virtualMachineInstanceSelector:
            workload-type: web
        allowAutoConverge: true
      ---
      apiVersion: kubevirt.io/v1
      kind: VirtualMachineInstanceMigration
      metadata:
        name: migration-job
      spec:
        vmiName: vmi-fedora
      """;

  static final String MANIFESTS = String.join("---\n", KUBEVIRT, VMI, POLICY_AND_JOB);

  @Nested
  @DisplayName("from KubeVirt YAML")
  class FromYaml {
    @Test
    @DisplayName("takes the configuration, VMIs with their claims, policies and jobs")
    void loadsEverything(@TempDir Path directory) throws Exception {
      Path file = Files.writeString(directory.resolve("cluster.yaml"), MANIFESTS);
      try (SimulatedCluster cluster = SimulatedCluster.withNodes(3)) {
        List<VirtualMachineInstanceMigration> jobs = cluster.load(file);

        assertThat(jobs)
            .containsExactly(VirtualMachineInstanceMigration.of("migration-job", "vmi-fedora"));
        MigrationConfiguration configuration = cluster.configuration();
        assertThat(configuration.parallelMigrationsPerCluster()).isEqualTo(3);
        assertThat(configuration.bandwidthPerMigration()).isEqualTo(Quantity.parse("32Mi"));
        assertThat(configuration.network()).contains("migration-network");
        assertThat(cluster.nodeOf("vmi-fedora")).isEqualTo("node02");
        VirtualMachineInstance vmi =
            cluster.inventory().find("default", "vmi-fedora").orElseThrow();
        assertThat(vmi.volumes().get(0).isShared()).as("the claim is ReadWriteMany").isTrue();

        MigrationHandle handle = cluster.engine().migrate(jobs.get(0));
        cluster.runUntilIdle();

        assertThatMigration(handle).succeeded().usedPolicy("web-policy");
        assertThat(handle.state().targetNodeAddress())
            .hasValueSatisfying(a -> assertThat(a).startsWith("127.0.1."));
      }
    }

    @Test
    @DisplayName("runs the same job on real bytes, over TLS on the migration network")
    void realBytes() {
      try (RealBytesCluster cluster =
          RealBytesCluster.withNodes(2).sampleInterval(Duration.ofMillis(100))) {
        List<VirtualMachineInstanceMigration> jobs = cluster.load(MANIFESTS);

        MigrationHandle handle = cluster.engine().migrate(jobs.get(0));

        assertThatMigration(handle)
            .succeedsWithin(Duration.ofMinutes(2))
            .wentTo("node01")
            .usedPolicy("web-policy")
            .hasIdenticalMemory(cluster);
        assertThat(handle.state().targetNodeAddress()).contains("127.0.1.1");
        assertThat(cluster.backend().agentAddress("node01", "tls")).isPresent();
      }
    }

    @Test
    @DisplayName("refuses a VMI on a node the cluster does not have, naming both")
    void unknownNode() {
      try (SimulatedCluster cluster = SimulatedCluster.withNodes(1)) {
        List<VirtualMachineInstance> vmis = Manifests.readVirtualMachineInstances(VMI);
        assertThatThrownBy(() -> cluster.addVmis(vmis, GuestProfile.IDLE))
            .isInstanceOf(InvalidValueException.class)
            .hasMessage(
                "vmis[default/vmi-fedora].nodeName must name a node of the cluster (node01), but"
                    + " was 'node02'");
      }
    }
  }

  @Nested
  @DisplayName("with nodes")
  class Nodes {
    @Test
    @DisplayName("adds nodes with labels and taints on the next loopback addresses")
    void addsNodes() {
      try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
        cluster.node("edge", node -> node.label("zone", "b").taint("dedicated"));

        var edge = cluster.inventory().nodes().get(0);
        assertThat(edge.name()).isEqualTo("edge");
        assertThat(edge.address()).isEqualTo("127.0.0.3");
        assertThat(edge.migrationAddress()).contains("127.0.1.3");
        assertThat(edge.labels()).containsEntry("zone", "b");
        assertThat(edge.hasTaint("dedicated")).isTrue();
      }
    }

    @Test
    @DisplayName("accepts only loopback addresses, naming the node and field")
    void loopbackOnly() {
      try (SimulatedCluster cluster = SimulatedCluster.withNodes(1)) {
        assertThatThrownBy(() -> cluster.node("node01", node -> node.address("10.0.0.1")))
            .isInstanceOf(InvalidValueException.class)
            .hasMessage(
                "nodes[node01].address must be an IPv4 address in the loopback range"
                    + " 127.0.0.0/8, but was '10.0.0.1'");
        assertThatThrownBy(
                () -> cluster.node("node01", node -> node.migrationAddress("127.0.0.256")))
            .isInstanceOf(InvalidValueException.class)
            .hasMessageStartingWith("nodes[node01].migrationAddress must be");
        assertThatThrownBy(() -> SimulatedCluster.withNodes(0))
            .isInstanceOf(InvalidValueException.class)
            .hasMessage("nodes must be between 1 and 250, but was 0");
      }
    }

    @Test
    @DisplayName("places no VMI beyond a node's capacity")
    void capacityOnPlacement() {
      try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
        cluster.node("node01", node -> node.capacity("3Gi"));
        cluster.addVmi("vmi-a", vmi -> vmi.memory("2Gi"));

        assertThatThrownBy(() -> cluster.addVmi("vmi-b", vmi -> vmi.memory("2Gi")))
            .isInstanceOf(InvalidValueException.class)
            .hasMessageStartingWith("vmis[default/vmi-b].nodeName must name a node with room");
        cluster.addVmi("vmi-a", vmi -> vmi.memory("3Gi")); // replacing gives its room back
      }
    }

    @Test
    @DisplayName("migrates only to nodes with room, counting migrations on their way")
    void capacityOnMigration() {
      try (SimulatedCluster cluster = SimulatedCluster.withNodes(3)) {
        cluster.node("node02", node -> node.capacity("1Gi"));
        cluster.node("node03", node -> node.capacity("2Gi"));
        cluster.addVmi("vmi-a", vmi -> vmi.memory("1Gi"));
        cluster.addVmi("vmi-b", vmi -> vmi.memory("1Gi"));
        cluster.addVmi("vmi-c", vmi -> vmi.memory("1Gi"));
        cluster.addVmi("vmi-big", vmi -> vmi.memory("3Gi"));

        List<MigrationHandle> handles =
            List.of("vmi-a", "vmi-b", "vmi-c", "vmi-big").stream()
                .map(
                    name ->
                        cluster
                            .engine()
                            .migrate(VirtualMachineInstanceMigration.of("move-" + name, name)))
                .toList();
        cluster.runUntilIdle();

        handles.subList(0, 3).forEach(handle -> assertThatMigration(handle).succeeded());
        assertThatMigration(handles.get(3)).failedWith("no node can take the VMI");
        assertThat(cluster.inventory().vmiCountsByNode())
            .containsEntry("node02", 1)
            .containsEntry("node03", 2)
            .containsEntry("node01", 1);
      }
    }
  }

  @Nested
  @DisplayName("binding plugins from a KubeVirt CR")
  class BindingPlugins {
    private final KubeVirt passt =
        KubeVirt.builder().addBindingPlugins(NetworkBindingPlugin.linkRefresh("passt")).build();

    @Test
    @DisplayName("reach the engine, so that a VMI on a registered plugin migrates")
    void reachEngine() {
      try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
        cluster.configure(passt);
        cluster.addVmi(
            VirtualMachineInstance.builder()
                .name("vmi-passt")
                .nodeName("node01")
                .memory(Quantity.parse("1Gi"))
                .addInterfaces(
                    NetworkInterface.builder()
                        .name("default")
                        .binding(InterfaceBinding.PLUGIN)
                        .bindingPlugin("passt")
                        .podNetwork(true)
                        .build())
                .build(),
            GuestProfile.IDLE);

        MigrationHandle handle =
            cluster.engine().migrate(VirtualMachineInstanceMigration.of("job", "vmi-passt"));
        cluster.runUntilIdle();

        assertThatMigration(handle).succeeded();
      }
    }

    @Test
    @DisplayName("cannot change once the engine is created; the same plugins again can")
    void fixedOnceRunning() {
      try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
        cluster.configure(passt);
        cluster.engine();

        cluster.configure(passt);
        assertThatThrownBy(() -> cluster.configure(KubeVirt.builder().build()))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("spec.configuration.network.binding");
      }
    }
  }
}
