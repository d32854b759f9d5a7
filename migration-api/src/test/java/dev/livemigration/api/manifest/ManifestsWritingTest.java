package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.Condition;
import dev.livemigration.api.ConditionStatus;
import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@DisplayName("Manifests writes")
class ManifestsWritingTest {

  @Nested
  @DisplayName("KubeVirt CRs")
  class KubeVirtCrs {
    @Test
    @DisplayName("with every migration field, the bandwidth canonical and timeouts in seconds")
    void everyField() {
      assertThat(Manifests.toYaml(KubeVirt.builder().build()))
          .isEqualTo(
              "apiVersion: kubevirt.io/v1\n"
                  + "kind: KubeVirt\n"
                  + "metadata:\n"
                  + "  name: kubevirt\n"
                  + "  namespace: kubevirt\n"
                  + "spec:\n"
                  + "  configuration:\n"
                  + "    developerConfiguration:\n"
                  + "      featureGates: []\n"
                  + "    migrations:\n"
                  + "      parallelMigrationsPerCluster: 5\n"
                  + "      parallelOutboundMigrationsPerNode: 2\n"
                  + "      bandwidthPerMigration: 64Mi\n"
                  + "      completionTimeoutPerGiB: 800\n"
                  + "      progressTimeout: 150\n"
                  + "      disableTLS: false\n"
                  + "      nodeDrainTaintKey: kubevirt.io/drain\n"
                  + "      allowAutoConverge: false\n"
                  + "      allowPostCopy: false\n"
                  + "      unsafeMigrationOverride: false\n"
                  + "      maxDowntimeMs: 900\n"
                  + "      allowWorkloadDisruption: false\n");
    }

    @Test
    @DisplayName("with the network only when there is one, and the gates as a list")
    void networkAndGates() {
      KubeVirt kubeVirt =
          KubeVirt.builder()
              .addFeatureGates("LiveMigration")
              .migrations(
                  MigrationConfiguration.builder()
                      .network("migration-network")
                      .bandwidthPerMigration(Quantity.parse("1024Mi"))
                      .build())
              .build();

      String yaml = Manifests.toYaml(kubeVirt);

      assertThat(yaml)
          .contains("      featureGates:\n        - LiveMigration\n")
          .contains("      bandwidthPerMigration: 1Gi\n")
          .endsWith(
              "      network: migration-network\n"
                  + "      maxDowntimeMs: 900\n"
                  + "      allowWorkloadDisruption: false\n");
      assertThat(Manifests.toJson(kubeVirt))
          .contains("\"featureGates\": [\n          \"LiveMigration\"\n        ]")
          .contains("\"completionTimeoutPerGiB\": 800,")
          .contains("\"network\": \"migration-network\"");
    }

    @Test
    @DisplayName("a bandwidth written as plain bytes, still read back as a quantity")
    void plainBytes() {
      KubeVirt kubeVirt =
          KubeVirt.builder()
              .migrations(
                  MigrationConfiguration.builder()
                      .bandwidthPerMigration(Quantity.parse("1000"))
                      .build())
              .build();

      assertThat(Manifests.toYaml(kubeVirt)).contains("bandwidthPerMigration: \"1000\"\n");
      assertThat(Manifests.read(Manifests.toYaml(kubeVirt))).isEqualTo(kubeVirt);
    }
  }

  @Nested
  @DisplayName("requests and policies")
  class RequestsAndPolicies {
    @Test
    @DisplayName("a request with apiVersion, kind, metadata and spec, as JSON")
    void requestAsJson() {
      assertThat(
              Manifests.toJson(VirtualMachineInstanceMigration.of("migration-job", "vmi-fedora")))
          .isEqualTo(
              "{\n"
                  + "  \"apiVersion\": \"kubevirt.io/v1\",\n"
                  + "  \"kind\": \"VirtualMachineInstanceMigration\",\n"
                  + "  \"metadata\": {\n"
                  + "    \"name\": \"migration-job\",\n"
                  + "    \"namespace\": \"default\"\n"
                  + "  },\n"
                  + "  \"spec\": {\n"
                  + "    \"vmiName\": \"vmi-fedora\"\n"
                  + "  }\n"
                  + "}\n");
    }

    @Test
    @DisplayName("a policy with only the overrides it has")
    void policy() {
      MigrationPolicy policy =
          MigrationPolicy.builder()
              .name("hpc")
              .putNamespaceSelector("hpc-workloads", "true")
              .completionTimeoutPerGiB(Duration.ofSeconds(23))
              .build();

      assertThat(Manifests.toYaml(policy))
          .isEqualTo(
              "apiVersion: migrations.kubevirt.io/v1alpha1\n"
                  + "kind: MigrationPolicy\n"
                  + "metadata:\n"
                  + "  name: hpc\n"
                  + "spec:\n"
                  + "  selectors:\n"
                  + "    namespaceSelector:\n"
                  + "      hpc-workloads: \"true\"\n"
                  + "  completionTimeoutPerGiB: 23\n");
    }
  }

  @Nested
  @DisplayName("states and statuses")
  class States {
    @ParameterizedTest
    @EnumSource(MigrationPhase.class)
    @DisplayName("the phase in PascalCase")
    void phases(MigrationPhase phase) {
      String yaml =
          Manifests.toYaml(MigrationState.builder().migrationUid("u").phase(phase).build());

      assertThat(yaml).contains("phase: " + EnumNames.toWire(phase) + "\n");
      assertThat(Manifests.read(yaml, MigrationState.class).phase()).isEqualTo(phase);
    }

    @Test
    @DisplayName("every field in camelCase, with RFC 3339 timestamps and string port keys")
    void everyField() {
      MigrationState state =
          MigrationState.builder()
              .migrationUid("u")
              .phase(MigrationPhase.PREPARING_TARGET)
              .mode(MigrationMode.POST_COPY)
              .startTimestamp(Instant.parse("2019-03-29T03:37:52Z"))
              .endTimestamp(Instant.parse("2019-03-29T03:38:00.5Z"))
              .abortRequested(true)
              .abortStatus(AbortStatus.ABORTING)
              .failureReason("no")
              .migrationConfig(MigrationConfiguration.defaults())
              .migrationPolicyName("p")
              .sourceNode("a")
              .targetNode("b")
              .targetNodeAddress("10.0.0.1")
              .targetNodeDomainDetected(true)
              .targetPod("pod")
              .putTargetDirectMigrationNodePorts(35001, 0)
              .build();

      assertThat(Manifests.toYaml(state))
          .isEqualTo(
              "migrationUid: u\n"
                  + "phase: PreparingTarget\n"
                  + "mode: PostCopy\n"
                  + "startTimestamp: 2019-03-29T03:37:52Z\n"
                  + "endTimestamp: 2019-03-29T03:38:00.500Z\n"
                  + "completed: false\n"
                  + "failed: false\n"
                  + "abortRequested: true\n"
                  + "abortStatus: Aborting\n"
                  + "failureReason: \"no\"\n"
                  + "migrationConfig:\n"
                  + "  parallelMigrationsPerCluster: 5\n"
                  + "  parallelOutboundMigrationsPerNode: 2\n"
                  + "  bandwidthPerMigration: 64Mi\n"
                  + "  completionTimeoutPerGiB: 800\n"
                  + "  progressTimeout: 150\n"
                  + "  disableTLS: false\n"
                  + "  nodeDrainTaintKey: kubevirt.io/drain\n"
                  + "  allowAutoConverge: false\n"
                  + "  allowPostCopy: false\n"
                  + "  unsafeMigrationOverride: false\n"
                  + "  maxDowntimeMs: 900\n"
                  + "  allowWorkloadDisruption: false\n"
                  + "migrationPolicyName: p\n"
                  + "sourceNode: a\n"
                  + "targetNode: b\n"
                  + "targetNodeAddress: 10.0.0.1\n"
                  + "targetNodeDomainDetected: true\n"
                  + "targetPod: pod\n"
                  + "targetDirectMigrationNodePorts:\n"
                  + "  \"35001\": 0\n");
      assertThat(Manifests.toJson(state))
          .contains("\"targetDirectMigrationNodePorts\": {\n    \"35001\": 0\n  }");
    }

    @Test
    @DisplayName("a status with its conditions, method and state")
    void status() {
      VirtualMachineInstanceStatus status =
          VirtualMachineInstanceStatus.builder()
              .addConditions(
                  Condition.builder().type("Ready").status(ConditionStatus.UNKNOWN).build(),
                  Condition.notLiveMigratable(Condition.REASON_INTERFACE_NOT_MIGRATABLE, "bridge"))
              .migrationMethod(MigrationMethod.LIVE_MIGRATION)
              .migrationState(MigrationState.builder().migrationUid("u").build())
              .build();

      assertThat(Manifests.toYaml(status))
          .startsWith(
              "conditions:\n"
                  + "  - type: Ready\n"
                  + "    status: Unknown\n"
                  + "  - type: LiveMigratable\n"
                  + "    status: \"False\"\n"
                  + "    reason: InterfaceNotLiveMigratable\n"
                  + "    message: bridge\n"
                  + "migrationMethod: LiveMigration\n"
                  + "migrationState:\n"
                  + "  migrationUid: u\n"
                  + "  phase: Pending\n");
      assertThat(Manifests.read(Manifests.toYaml(status), VirtualMachineInstanceStatus.class))
          .isEqualTo(status);
    }
  }

  @Test
  @DisplayName("nothing but the model's manifest types")
  void unsupported() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Manifests.toYaml("kind: KubeVirt"))
        .withMessageContaining("java.lang.String");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Manifests.toJson(Duration.ZERO))
        .withMessageContaining("java.time.Duration");
  }

  @Test
  @DisplayName("a report of the caller's own, as a JSON tree, is written in the manifests' style")
  void ownReport() {
    com.fasterxml.jackson.databind.node.ObjectNode report =
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    report.putArray("skipped").addObject().put("vmi", "vmi-fedora").put("count", 2);

    assertThat(Manifests.toYaml(report)).isEqualTo("skipped:\n  - vmi: vmi-fedora\n    count: 2\n");
    assertThat(Manifests.toJson(report)).endsWith("}\n").contains("\"vmi\": \"vmi-fedora\"");
  }

  @Test
  @DisplayName("writes a paused post-copy as KubeVirt's Paused, and refuses our own name for it")
  void postCopyPaused() {
    MigrationState state =
        MigrationState.builder().migrationUid("u").mode(MigrationMode.POST_COPY_PAUSED).build();

    String yaml = Manifests.toYaml(state);

    assertThat(yaml).contains("mode: Paused").doesNotContain("PostCopyPaused");
    assertThat(Manifests.read(yaml, MigrationState.class).mode()).isEqualTo(MigrationMode.PAUSED);
    assertThatIllegalArgumentException()
        .isThrownBy(
            () -> Manifests.read("migrationUid: u\nmode: PostCopyPaused\n", MigrationState.class))
        .withMessageContaining("must be one of PreCopy, PostCopy, Paused");
  }
}
