package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.Condition;
import dev.livemigration.api.ConditionStatus;
import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import dev.livemigration.api.manifest.ManifestException.Problem;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Manifests reads every snippet of the live-migration guide")
class ManifestsGuideTest {

  private static final MigrationConfiguration GUIDE_MIGRATION_CONFIG =
      MigrationConfiguration.builder()
          .completionTimeoutPerGiB(Duration.ofSeconds(800))
          .progressTimeout(Duration.ofSeconds(150))
          .build();

  @Nested
  @DisplayName("the VirtualMachineInstanceMigration")
  class Migration {
    @Test
    @DisplayName("gives its name, the default namespace and the VMI's name")
    void readsTheRequest() {
      Object read = Manifests.read(GuideSnippets.text(GuideSnippets.MIGRATION));

      assertThat(read).isInstanceOf(VirtualMachineInstanceMigration.class);
      VirtualMachineInstanceMigration migration = (VirtualMachineInstanceMigration) read;
      assertThat(migration.name()).isEqualTo("migration-job");
      assertThat(migration.namespace())
          .isEqualTo(VirtualMachineInstanceMigration.DEFAULT_NAMESPACE);
      assertThat(migration.vmiName()).isEqualTo("vmi-fedora");
      assertThat(migration)
          .isEqualTo(VirtualMachineInstanceMigration.of("migration-job", "vmi-fedora"));
    }
  }

  @Nested
  @DisplayName("the capitalised Status block")
  class Status {
    @Test
    @DisplayName("gives one LiveMigratable condition that holds and block migration")
    void readsConditionAndMethod() {
      VirtualMachineInstanceStatus status =
          Manifests.read(
              GuideSnippets.text(GuideSnippets.STATUS), VirtualMachineInstanceStatus.class);

      assertThat(status.conditions())
          .containsExactly(
              Condition.builder()
                  .type(Condition.LIVE_MIGRATABLE)
                  .status(ConditionStatus.TRUE)
                  .build());
      assertThat(status.conditions().get(0).reason()).isEmpty();
      assertThat(status.conditions().get(0).message()).isEmpty();
      assertThat(status.condition(Condition.LIVE_MIGRATABLE)).get().matches(Condition::isTrue);
      assertThat(status.migrationMethod()).contains(MigrationMethod.BLOCK_MIGRATION);
      assertThat(status.migrationState()).isEmpty();
    }
  }

  @Nested
  @DisplayName("the Migration State of a successful migration")
  class Succeeded {
    private final MigrationState state =
        Manifests.read(GuideSnippets.text(GuideSnippets.STATE_SUCCEEDED), MigrationState.class);

    @Test
    @DisplayName("gives the uid, nodes, pod and address")
    void readsIdentity() {
      assertThat(state.migrationUid()).isEqualTo("c64d4898-51d3-11e9-b370-525500d15501");
      assertThat(state.sourceNode()).contains("node02");
      assertThat(state.targetNode()).contains("node01");
      assertThat(state.targetNodeAddress()).contains("10.128.0.46");
      assertThat(state.targetNodeDomainDetected()).isTrue();
      assertThat(state.targetPod())
          .contains("virt-launcher-testvmimcbjgw6zrzcmp8wpddvztvzm7x2k6cjbdgktwv8tkq");
      assertThat(state.migrationPolicyName()).isEmpty();
      assertThat(state.failureReason()).isEmpty();
    }

    @Test
    @DisplayName("gives the three target ports with integer keys")
    void readsPorts() {
      assertThat(state.targetDirectMigrationNodePorts())
          .containsOnly(entry(35001, 0), entry(41068, 49152), entry(38284, 49153));
    }

    @Test
    @DisplayName("is completed, not failed nor aborted, in phase Succeeded")
    void readsOutcome() {
      assertThat(state.completed()).isTrue();
      assertThat(state.failed()).isFalse();
      assertThat(state.abortRequested()).isFalse();
      assertThat(state.abortStatus()).isEmpty();
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.PRE_COPY);
    }

    @Test
    @DisplayName("keeps both timestamps, though the guide's end is before its start")
    void readsTimestamps() {
      assertThat(state.startTimestamp()).contains(Instant.parse("2019-03-29T04:02:47Z"));
      assertThat(state.endTimestamp()).contains(Instant.parse("2019-03-29T03:37:52Z"));
    }

    @Test
    @DisplayName("gives the migration config's two timeouts, and defaults for the rest")
    void readsMigrationConfig() {
      assertThat(state.migrationConfig()).contains(GUIDE_MIGRATION_CONFIG);
      MigrationConfiguration config = state.migrationConfig().orElseThrow();
      assertThat(config.completionTimeoutPerGiB()).hasSeconds(800);
      assertThat(config.progressTimeout()).hasSeconds(150);
    }
  }

  @Nested
  @DisplayName("the Migration State of an aborted migration")
  class Aborted {
    private final MigrationState state =
        Manifests.read(GuideSnippets.text(GuideSnippets.STATE_ABORTED), MigrationState.class);

    @Test
    @DisplayName("is abort-requested, abort Succeeded, completed and failed, in phase Failed")
    void readsOutcome() {
      assertThat(state.abortRequested()).isTrue();
      assertThat(state.abortStatus()).contains(AbortStatus.SUCCEEDED);
      assertThat(state.completed()).isTrue();
      assertThat(state.failed()).isTrue();
      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.mode()).isEqualTo(MigrationMode.PRE_COPY);
    }

    @Test
    @DisplayName("gives every other field")
    void readsTheRest() {
      assertThat(state.migrationUid()).isEqualTo("57a693d6-51d7-11e9-b370-525500d15501");
      assertThat(state.startTimestamp()).contains(Instant.parse("2019-03-29T04:02:47Z"));
      assertThat(state.endTimestamp()).contains(Instant.parse("2019-03-29T04:02:49Z"));
      assertThat(state.migrationConfig()).contains(GUIDE_MIGRATION_CONFIG);
      assertThat(state.sourceNode()).contains("node02");
      assertThat(state.targetNode()).contains("node01");
      assertThat(state.targetNodeAddress()).contains("10.128.0.46");
      assertThat(state.targetNodeDomainDetected()).isTrue();
      assertThat(state.targetPod())
          .contains("virt-launcher-testvmimcbjgw6zrzcmp8wpddvztvzm7x2k6cjbdgktwv8tkq");
      assertThat(state.targetDirectMigrationNodePorts())
          .containsOnly(entry(39445, 0), entry(43345, 49152), entry(44222, 49153));
      assertThat(state.failureReason()).isEmpty();
      assertThat(state.migrationPolicyName()).isEmpty();
    }
  }

  @Nested
  @DisplayName("the Kubevirt CRs")
  class KubeVirtCrs {
    @Test
    @DisplayName("the limits CR gives every documented default")
    void limitsAreTheDefaults() {
      KubeVirt kubeVirt =
          Manifests.read(GuideSnippets.text(GuideSnippets.KUBEVIRT_LIMITS), KubeVirt.class);

      assertThat(kubeVirt.name()).isEqualTo("kubevirt");
      assertThat(kubeVirt.namespace()).isEqualTo("kubevirt");
      assertThat(kubeVirt.featureGates()).isEmpty();
      MigrationConfiguration migrations = kubeVirt.migrations();
      assertThat(migrations.parallelMigrationsPerCluster()).isEqualTo(5);
      assertThat(migrations.parallelOutboundMigrationsPerNode()).isEqualTo(2);
      assertThat(migrations.bandwidthPerMigration()).isEqualTo(Quantity.parse("64Mi"));
      assertThat(migrations.bandwidthPerMigration().bytes()).isEqualTo(64L * 1024 * 1024);
      assertThat(migrations.completionTimeoutPerGiB()).isEqualTo(Duration.ofSeconds(800));
      assertThat(migrations.progressTimeout()).isEqualTo(Duration.ofSeconds(150));
      assertThat(migrations.disableTLS()).isFalse();
      assertThat(migrations.nodeDrainTaintKey()).isEqualTo("kubevirt.io/drain");
      assertThat(migrations.allowAutoConverge()).isFalse();
      assertThat(migrations.allowPostCopy()).isFalse();
      assertThat(migrations.unsafeMigrationOverride()).isFalse();
      assertThat(migrations.network()).isEmpty();
      assertThat(migrations).isEqualTo(MigrationConfiguration.defaults());
    }

    @Test
    @DisplayName("the migration-network CR gives the LiveMigration gate and the network")
    void migrationNetwork() {
      KubeVirt kubeVirt =
          Manifests.read(GuideSnippets.text(GuideSnippets.KUBEVIRT_NETWORK), KubeVirt.class);

      assertThat(kubeVirt.name()).isEqualTo("kubevirt");
      assertThat(kubeVirt.namespace()).isEqualTo("kubevirt");
      assertThat(kubeVirt.featureGates()).containsExactly("LiveMigration");
      assertThat(kubeVirt.migrations().network()).contains("migration-network");
      assertThat(kubeVirt.migrations())
          .isEqualTo(MigrationConfiguration.builder().network("migration-network").build());
    }

    @Test
    @DisplayName(
        "the disable-TLS CR gives the quoted gate and disableTLS from migrationConfiguration")
    void disableTls() {
      KubeVirt kubeVirt =
          Manifests.read(GuideSnippets.text(GuideSnippets.KUBEVIRT_DISABLE_TLS), KubeVirt.class);

      assertThat(kubeVirt.name()).isEqualTo("kubevirt");
      assertThat(kubeVirt.namespace()).isEqualTo("kubevirt");
      assertThat(kubeVirt.featureGates()).containsExactly("LiveMigration");
      assertThat(kubeVirt.migrations().disableTLS()).isTrue();
      assertThat(kubeVirt.migrations())
          .isEqualTo(MigrationConfiguration.builder().disableTLS(true).build());
    }
  }

  @Nested
  @DisplayName("the NetworkAttachmentDefinition")
  class NetworkAttachment {
    @Test
    @DisplayName("is not ours: one clear unknown-kind problem")
    void unknownKind() {
      assertThatThrownBy(() -> Manifests.read(GuideSnippets.text(GuideSnippets.NETWORK_ATTACHMENT)))
          .isInstanceOfSatisfying(
              ManifestException.class,
              e ->
                  assertThat(e.problems())
                      .containsExactly(
                          new Problem(
                              "kind",
                              "'NetworkAttachmentDefinition'",
                              "kind was 'NetworkAttachmentDefinition' but it must be one of"
                                  + " VirtualMachineInstanceMigration, KubeVirt,"
                                  + " MigrationPolicy, VirtualMachineInstance,"
                                  + " PersistentVolumeClaim")))
          .hasMessage(
              "1 problem in manifest:\n"
                  + "  kind was 'NetworkAttachmentDefinition' but it must be one of"
                  + " VirtualMachineInstanceMigration, KubeVirt, MigrationPolicy,"
                  + " VirtualMachineInstance, PersistentVolumeClaim");
    }
  }

  @Nested
  @DisplayName("round trips")
  class RoundTrips {
    static Stream<Arguments> snippets() {
      return GuideSnippets.READABLE.stream().map(a -> Arguments.of(a[0], a[1]));
    }

    @ParameterizedTest(name = "{0} through YAML")
    @MethodSource("snippets")
    @DisplayName("read, toYaml, read gives an equal value")
    void throughYaml(String snippet, Class<?> type) {
      Object read = Manifests.read(GuideSnippets.text(snippet), type);

      assertThat(Manifests.read(Manifests.toYaml(read), type)).isEqualTo(read);
    }

    @ParameterizedTest(name = "{0} through JSON")
    @MethodSource("snippets")
    @DisplayName("read, toJson, read gives an equal value")
    void throughJson(String snippet, Class<?> type) {
      Object read = Manifests.read(GuideSnippets.text(snippet), type);

      assertThat(Manifests.read(Manifests.toJson(read), type)).isEqualTo(read);
    }

    @ParameterizedTest(name = "{0} from its file")
    @MethodSource("snippets")
    @DisplayName("reading the file gives the same value as reading the text")
    void fromFile(String snippet, Class<?> type) {
      assertThat(Manifests.read(GuideSnippets.path(snippet), type))
          .isEqualTo(Manifests.read(GuideSnippets.text(snippet), type));
    }
  }
}
