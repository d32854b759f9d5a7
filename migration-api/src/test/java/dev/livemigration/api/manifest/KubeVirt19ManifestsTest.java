package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.DowntimeTuning;
import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationCompression;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationNetworkType;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.StallDetector;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Manifests of today's KubeVirt (1.8–1.9), copied from KubeVirt's own repositories into {@code
 * src/test/resources/manifests/kubevirt-1.9}; each test says where its file came from.
 */
@DisplayName("Manifests reads today's KubeVirt manifests as they stand")
class KubeVirt19ManifestsTest {
  private static final String DIR = "kubevirt-1.9/";

  private static List<String> messages(ManifestException e) {
    return e.problems().stream().map(ManifestException.Problem::message).toList();
  }

  private static List<String> messages(List<ManifestWarning> warnings) {
    return warnings.stream().map(ManifestWarning::message).toList();
  }

  @Nested
  @DisplayName("KubeVirt CRs")
  class KubeVirtCrs {
    @Test
    @DisplayName("VEP 248's CR with the stall-detection gate and maxDowntimeMs")
    void vep248() {
      // kubevirt/enhancements veps/sig-compute/248-migration-convergence/vep.md, lines 519-530,
      // at 7ee388aa7cf42e89be317d405d9b1c14d91a4012 ("Cluster-wide default via KubeVirt CR").
      ManifestResult<KubeVirt> result =
          Manifests.readWithWarnings(
              GuideSnippets.path(DIR + "vep-248-kubevirt-max-downtime.yaml"), KubeVirt.class);

      assertThat(result.warnings()).isEmpty();
      assertThat(result.value().featureGates()).containsExactly("MigrationStallDetection");
      MigrationConfiguration migrations = result.value().migrations();
      assertThat(migrations.maxDowntimeMs()).isEqualTo(900);
      assertThat(migrations.progressTimeout()).isEqualTo(Duration.ofSeconds(60));
      assertThat(migrations.allowWorkloadDisruption()).isFalse();
    }

    @Test
    @DisplayName("VEP 248's pre-copy-only CR, which sets allowWorkloadDisruption")
    void vep248PreCopyOnly() {
      // kubevirt/enhancements veps/sig-compute/248-migration-convergence/vep.md, lines 536-543,
      // at 7ee388aa7cf42e89be317d405d9b1c14d91a4012 (it has no metadata: our defaults name it).
      MigrationConfiguration migrations =
          Manifests.read(
                  GuideSnippets.path(DIR + "vep-248-kubevirt-pre-copy-only.yaml"), KubeVirt.class)
              .migrations();

      assertThat(migrations.maxDowntimeMs()).isEqualTo(5000);
      assertThat(migrations.allowPostCopy()).isFalse();
      assertThat(migrations.allowWorkloadDisruption()).isFalse();
    }

    @Test
    @DisplayName("KubeVirt's release-1.9 API fixture: every key known, only its values refused")
    void apiTestingFixture() {
      // kubevirt/kubevirt staging/src/kubevirt.io/api/apitesting/testdata/release-1.9/
      // kubevirt.io.v1.KubeVirt.yaml at d923fdb815cd2016ddaebdaaa51db04133576d72: every field of
      // the 1.9 API, filled by a fuzzer with placeholders (negative timeouts, 'nameValue').
      ManifestException e =
          catchThrowableOfType(
              ManifestException.class,
              () ->
                  Manifests.read(
                      GuideSnippets.path(DIR + "apitesting-release-1.9-KubeVirt.yaml"),
                      KubeVirt.class));

      assertThat(messages(e)).noneMatch(m -> m.contains("not a known field"));
      assertThat(messages(e))
          .contains(
              "spec.configuration.migrations.maxDowntimeMs was 18446744073709551603 but it must"
                  + " be between 1 and 2000000",
              "spec.configuration.migrations.progressTimeout was -15 but it must be a positive"
                  + " number of seconds",
              "spec.configuration.network.binding.bindingKey.migration.method was 'methodValue'"
                  + " but it must be link-refresh (the migration methods KubeVirt defines) or be"
                  + " left out");
      assertThat(messages(e.warnings()))
          .containsExactly(
              "spec.configuration.migrations.matchSELinuxLevelOnMigration is read but ignored: it"
                  + " only means something to Kubernetes",
              "spec.configuration.migrations.parallelMigrationsPerCluster was 4294967268 and is"
                  + " read as 2147483647, the largest count this library holds",
              "spec.configuration.migrations.parallelOutboundMigrationsPerNode was 4294967263 and"
                  + " is read as 2147483647, the largest count this library holds",
              "spec.configuration.migrations.utilityVolumesTimeout is read but ignored: it only"
                  + " means something to Kubernetes");
    }
  }

  @Nested
  @DisplayName("migration policies with experimental settings")
  class Policies {
    @Test
    @DisplayName("VEP 291's downtime ramp with KubeVirt's defaults")
    void downtimeTuningDefaults() {
      // kubevirt/enhancements veps/sig-compute/291-dynamic-downtime-tuning/vep.md, lines 227-237,
      // at 7ee388aa7cf42e89be317d405d9b1c14d91a4012.
      MigrationPolicy policy =
          Manifests.read(
              GuideSnippets.path(DIR + "vep-291-policy-tune-downtime.yaml"), MigrationPolicy.class);

      assertThat(policy.maxDowntimeMs()).contains(1050L);
      assertThat(policy.experimental().flatMap(x -> x.downtimeTuning()))
          .contains(DowntimeTuning.builder().build());
      assertThat(policy.applyTo(MigrationConfiguration.defaults()).maxDowntimeMs()).isEqualTo(1050);
    }

    @Test
    @DisplayName("VEP 291's downtime ramp with every setting")
    void downtimeTuningAdvanced() {
      // kubevirt/enhancements veps/sig-compute/291-dynamic-downtime-tuning/vep.md, lines 243-257,
      // at 7ee388aa7cf42e89be317d405d9b1c14d91a4012.
      MigrationPolicy policy =
          Manifests.read(
              GuideSnippets.path(DIR + "vep-291-policy-tune-downtime-advanced.yaml"),
              MigrationPolicy.class);

      assertThat(policy.experimental().flatMap(x -> x.downtimeTuning()))
          .contains(
              DowntimeTuning.builder()
                  .initialMs(200)
                  .steps(5)
                  .startAfterIteration(2)
                  .cooldown(Duration.ofSeconds(15))
                  .build());
      assertThat(Manifests.read(Manifests.toYaml(policy), MigrationPolicy.class)).isEqualTo(policy);
    }

    @Test
    @DisplayName("VEP 246's zstd compression")
    void compression() {
      // kubevirt/enhancements veps/sig-compute/246-migration-compression/vep.md, lines 132-141,
      // at 7ee388aa7cf42e89be317d405d9b1c14d91a4012.
      MigrationPolicy policy =
          Manifests.read(
              GuideSnippets.path(DIR + "vep-246-policy-compression.yaml"), MigrationPolicy.class);

      assertThat(policy.experimental().flatMap(x -> x.compression()))
          .contains(MigrationCompression.ZSTD);
      assertThat(Manifests.toYaml(policy)).contains("compression: zstd");
    }
  }

  @Nested
  @DisplayName("a VMI's migration state")
  class States {
    @Test
    @DisplayName("a paused migration being aborted, with the 1.9 fields")
    void paused() {
      // The keys of KubeVirt's release-1.9 VMI fixture's status.migrationState, with real values;
      // see the file's header.
      ManifestResult<MigrationState> result =
          Manifests.readWithWarnings(
              GuideSnippets.path(DIR + "migration-state-1.9-paused.yaml"), MigrationState.class);
      MigrationState state = result.value();

      assertThat(state.mode()).isEqualTo(MigrationMode.PAUSED);
      assertThat(state.abortStatus()).contains(AbortStatus.ABORTING);
      assertThat(state.migrationNetworkType()).contains(MigrationNetworkType.MIGRATION);
      MigrationConfiguration config = state.migrationConfig().orElseThrow();
      assertThat(config.maxDowntimeMs()).isEqualTo(900);
      assertThat(config.allowWorkloadDisruption()).isTrue();
      assertThat(config.experimental().flatMap(x -> x.stallDetector()))
          .contains(StallDetector.builder().build());
      assertThat(config.experimental().flatMap(x -> x.compression()))
          .contains(MigrationCompression.ZSTD);
      assertThat(messages(result.warnings()))
          .containsExactlyInAnyOrder(
              "migrationState.migrationConfiguration.matchSELinuxLevelOnMigration is read but"
                  + " ignored: it only means something to Kubernetes",
              "migrationState.migrationConfiguration.utilityVolumesTimeout is read but ignored: it"
                  + " only means something to Kubernetes",
              "migrationState.sourcePersistentStatePVCName is read but ignored: it only means"
                  + " something to Kubernetes",
              "migrationState.targetMemoryOverhead is read but ignored: it only means something"
                  + " to Kubernetes",
              "migrationState.targetPersistentStatePVCName is read but ignored: it only means"
                  + " something to Kubernetes",
              "migrationState.sourcePod is read but ignored: it only means something to"
                  + " Kubernetes",
              "migrationState.targetNodeDomainReadyTimestamp is read but ignored: the engine does"
                  + " not keep it",
              "migrationState.sourceState is read but ignored: the engine does not keep it",
              "migrationState.targetState is read but ignored: the engine does not keep it");
      assertThat(Manifests.read(Manifests.toYaml(state), MigrationState.class)).isEqualTo(state);
    }

    @Test
    @DisplayName("KubeVirt's release-1.9 fixture: every key known, only its values refused")
    void apiTestingFixture() {
      // kubevirt/kubevirt staging/src/kubevirt.io/api/apitesting/testdata/release-1.9/
      // kubevirt.io.v1.VirtualMachineInstance.yaml at d923fdb815cd2016ddaebdaaa51db04133576d72,
      // lines 716-801 (status.migrationState), de-indented; placeholders by a fuzzer.
      ManifestException e =
          catchThrowableOfType(
              ManifestException.class,
              () ->
                  Manifests.read(
                      GuideSnippets.path(DIR + "apitesting-release-1.9-migrationState.yaml"),
                      MigrationState.class));

      assertThat(messages(e)).noneMatch(m -> m.contains("not a known field"));
      assertThat(messages(e))
          .contains(
              "migrationState.mode was 'modeValue' but it must be one of PreCopy, PostCopy,"
                  + " Paused",
              "migrationState.migrationConfiguration.experimental.stallDetector.ewmaAlpha was '0'"
                  + " but it must be above 0 and at most 1");
    }
  }
}
