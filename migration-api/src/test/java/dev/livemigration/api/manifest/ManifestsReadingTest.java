package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Manifests reads")
class ManifestsReadingTest {
  private static final String STATE_CAMEL_CASE =
      "migrationUid: 9a1e6d3c-0b4f-4d8e-9f7a-2c3b4d5e6f70\n"
          + "phase: PreparingTarget\n"
          + "mode: PostCopy\n"
          + "startTimestamp: 2024-05-01T10:00:00+02:00\n"
          + "endTimestamp: '2024-05-01T08:05:30.250Z'\n"
          + "completed: false\n"
          + "failed: true\n"
          + "abortRequested: true\n"
          + "abortStatus: Aborting\n"
          + "failureReason: target pod was evicted\n"
          + "migrationConfig:\n"
          + "  bandwidthPerMigration: 128Mi\n"
          + "  allowPostCopy: true\n"
          + "migrationPolicyName: hpc\n"
          + "sourceNode: node-a\n"
          + "targetNode: node-b\n"
          + "targetNodeAddress: 10.0.0.7\n"
          + "targetNodeDomainDetected: false\n"
          + "targetPod: virt-launcher-x\n"
          + "targetDirectMigrationNodePorts:\n"
          + "  '40000': 49152\n";

  private static final MigrationState STATE =
      MigrationState.builder()
          .migrationUid("9a1e6d3c-0b4f-4d8e-9f7a-2c3b4d5e6f70")
          .phase(MigrationPhase.PREPARING_TARGET)
          .mode(MigrationMode.POST_COPY)
          .startTimestamp(Instant.parse("2024-05-01T08:00:00Z"))
          .endTimestamp(Instant.parse("2024-05-01T08:05:30.250Z"))
          .failed(true)
          .abortRequested(true)
          .abortStatus(AbortStatus.ABORTING)
          .failureReason("target pod was evicted")
          .migrationConfig(
              MigrationConfiguration.builder()
                  .bandwidthPerMigration(Quantity.ofMebibytes(128))
                  .allowPostCopy(true)
                  .build())
          .migrationPolicyName("hpc")
          .sourceNode("node-a")
          .targetNode("node-b")
          .targetNodeAddress("10.0.0.7")
          .targetPod("virt-launcher-x")
          .putTargetDirectMigrationNodePorts(40000, 49152)
          .build();

  @Nested
  @DisplayName("migration states")
  class States {
    @Test
    @DisplayName("in camelCase, every field, without a wrapper")
    void camelCase() {
      assertThat(Manifests.read(STATE_CAMEL_CASE, MigrationState.class)).isEqualTo(STATE);
    }

    @Test
    @DisplayName("in camelCase, inside a migrationState: wrapper")
    void wrapped() {
      String wrapped = "migrationState:\n" + STATE_CAMEL_CASE.replaceAll("(?m)^", "  ");

      assertThat(Manifests.read(wrapped, MigrationState.class)).isEqualTo(STATE);
    }

    @Test
    @DisplayName("as JSON")
    void json() {
      assertThat(
              Manifests.read(
                  "{\"migrationUid\": \"u\", \"completed\": true,"
                      + " \"targetDirectMigrationNodePorts\": {\"35001\": 0}}",
                  MigrationState.class))
          .isEqualTo(
              MigrationState.builder()
                  .migrationUid("u")
                  .completed(true)
                  .putTargetDirectMigrationNodePorts(35001, 0)
                  .build());
    }

    @Test
    @DisplayName("matching keys whatever their spaces and case")
    void keysIgnoreSpacesAndCase() {
      MigrationState state =
          Manifests.read(
              "MIGRATION UID: u\nAbort  Status: Failed\ntarget node domain detected: true\n"
                  + "migration config:\n  COMPLETION TIMEOUT PER GIB: 10\n",
              MigrationState.class);

      assertThat(state.migrationUid()).isEqualTo("u");
      assertThat(state.abortStatus()).contains(AbortStatus.FAILED);
      assertThat(state.targetNodeDomainDetected()).isTrue();
      assertThat(state.migrationConfig().orElseThrow().completionTimeoutPerGiB()).hasSeconds(10);
    }

    @Test
    @DisplayName("accepting KubeVirt's migrationConfiguration spelling and its unmodelled fields")
    void realKubeVirtFields() {
      MigrationState state =
          Manifests.read(
              "migrationUid: u\nsourcePod: virt-launcher-a\ntargetNodeTopology: '{}'\n"
                  + "targetCPUSet: [1, 2]\ntargetAttachmentPodUID: x\n"
                  + "targetNodeDomainReadyTimestamp: 2024-01-01T00:00:00Z\n"
                  + "migrationConfiguration:\n  progressTimeout: 300\n"
                  + "  matchSELinuxLevelOnMigration: true\n",
              MigrationState.class);

      assertThat(state.migrationConfig())
          .contains(
              MigrationConfiguration.builder().progressTimeout(Duration.ofSeconds(300)).build());
    }

    @Test
    @DisplayName("taking null values as absent")
    void nulls() {
      assertThat(
              Manifests.read(
                  "migrationUid: u\ntargetNode: ~\nabortStatus: null\nendTimestamp:\n",
                  MigrationState.class))
          .isEqualTo(MigrationState.builder().migrationUid("u").build());
    }

    @Test
    @DisplayName("deriving the phase from the flags when it is not given")
    void derivedPhase() {
      assertThat(Manifests.read("migrationUid: u\n", MigrationState.class).phase())
          .isEqualTo(MigrationPhase.PENDING);
    }

    @Test
    @DisplayName("deriving Running, as KubeVirt does, for a started state given no phase")
    void derivedRunning() {
      String started = "migrationUid: u\nstartTimestamp: \"2026-01-22T01:58:17Z\"\n";

      assertThat(Manifests.read(started, MigrationState.class).phase())
          .isEqualTo(MigrationPhase.RUNNING);
      assertThat(Manifests.read(started + "completed: true\n", MigrationState.class).phase())
          .isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(
              Manifests.read(started + "completed: true\nfailed: true\n", MigrationState.class)
                  .phase())
          .isEqualTo(MigrationPhase.FAILED);
      assertThat(Manifests.read(started + "phase: Pending\n", MigrationState.class).phase())
          .isEqualTo(MigrationPhase.PENDING);
    }
  }

  @Nested
  @DisplayName("VMI statuses")
  class Statuses {
    @Test
    @DisplayName("in camelCase with a condition list, ignoring the status fields not modelled")
    void camelCase() {
      VirtualMachineInstanceStatus status =
          Manifests.read(
              "status:\n"
                  + "  phase: Running\n"
                  + "  nodeName: node01\n"
                  + "  conditions:\n"
                  + "    - type: Ready\n"
                  + "      status: 'True'\n"
                  + "      lastProbeTime: null\n"
                  + "      lastTransitionTime: '2024-01-01T00:00:00Z'\n"
                  + "    - type: LiveMigratable\n"
                  + "      status: 'False'\n"
                  + "      reason: DisksNotLiveMigratable\n"
                  + "      message: PVC rootdisk is not shared\n"
                  + "  migrationMethod: LiveMigration\n"
                  + "  migrationState:\n"
                  + "    migrationUid: u\n"
                  + "    completed: true\n",
              VirtualMachineInstanceStatus.class);

      assertThat(status.conditions())
          .containsExactly(
              Condition.builder().type("Ready").status(ConditionStatus.TRUE).build(),
              Condition.notLiveMigratable(
                  Condition.REASON_DISK_NOT_SHARED, "PVC rootdisk is not shared"));
      assertThat(status.migrationMethod()).contains(MigrationMethod.LIVE_MIGRATION);
      assertThat(status.migrationState())
          .contains(MigrationState.builder().migrationUid("u").completed(true).build());
    }

    @Test
    @DisplayName("in the describe form with a nested Migration State")
    void describeForm() {
      VirtualMachineInstanceStatus status =
          Manifests.read(
              "Status:\n  Conditions:\n    Status: Unknown\n    Type: LiveMigratable\n"
                  + "  Migration Method: LiveMigration\n"
                  + "  Migration State:\n    Migration UID: u\n    Failed: true\n",
              VirtualMachineInstanceStatus.class);

      assertThat(status.conditions())
          .containsExactly(
              Condition.builder()
                  .type(Condition.LIVE_MIGRATABLE)
                  .status(ConditionStatus.UNKNOWN)
                  .build());
      assertThat(status.migrationState().orElseThrow().phase()).isEqualTo(MigrationPhase.FAILED);
    }

    @Test
    @DisplayName("an empty status")
    void empty() {
      assertThat(Manifests.read("status: {}\n", VirtualMachineInstanceStatus.class))
          .isEqualTo(VirtualMachineInstanceStatus.builder().build());
    }
  }

  @Nested
  @DisplayName("KubeVirt CRs")
  class KubeVirtCrs {
    @ParameterizedTest
    @ValueSource(strings = {"kubevirt.io/v1", "kubevirt.io/v1alpha3"})
    @DisplayName("with either apiVersion and kind spelling")
    void apiVersionsAndSpellings(String apiVersion) {
      for (String kind : List.of("KubeVirt", "Kubevirt")) {
        assertThat(Manifests.read("apiVersion: " + apiVersion + "\nkind: " + kind + "\n"))
            .isEqualTo(KubeVirt.builder().build());
      }
    }

    @Test
    @DisplayName("merging migrations and migrationConfiguration, agreeing values allowed")
    void mergesBothBlocks() {
      KubeVirt kubeVirt =
          Manifests.read(
              "apiVersion: kubevirt.io/v1\nkind: KubeVirt\nspec:\n  configuration:\n"
                  + "    migrations:\n      parallelMigrationsPerCluster: 10\n"
                  + "      bandwidthPerMigration: 1Gi\n"
                  + "    migrationConfiguration:\n      disableTLS: true\n"
                  + "      bandwidthPerMigration: 1024Mi\n",
              KubeVirt.class);

      assertThat(kubeVirt.migrations())
          .isEqualTo(
              MigrationConfiguration.builder()
                  .parallelMigrationsPerCluster(10)
                  .bandwidthPerMigration(Quantity.ofGibibytes(1))
                  .disableTLS(true)
                  .build());
    }

    @Test
    @DisplayName(
        "ignoring everything outside the migration blocks, and KubeVirt's unmodelled fields")
    void ignoresTheRest() {
      KubeVirt kubeVirt =
          Manifests.read(
              "apiVersion: kubevirt.io/v1\nkind: KubeVirt\n"
                  + "metadata:\n  name: kv\n  namespace: openshift-cnv\n  labels: {app: kubevirt}\n"
                  + "  uid: 1234\n"
                  + "spec:\n  certificateRotateStrategy: {}\n  imagePullPolicy: IfNotPresent\n"
                  + "  configuration:\n    network: {}\n"
                  + "    developerConfiguration:\n      featureGates: [LiveMigration, 'Snapshot']\n"
                  + "      useEmulation: true\n"
                  + "    migrations:\n      matchSELinuxLevelOnMigration: true\n"
                  + "      allowWorkloadDisruption: false\n      utilityVolumesTimeout: 300\n"
                  + "      allowAutoConverge: true\n"
                  + "status:\n  phase: Deployed\n",
              KubeVirt.class);

      assertThat(kubeVirt)
          .isEqualTo(
              KubeVirt.builder()
                  .name("kv")
                  .namespace("openshift-cnv")
                  .addFeatureGates("LiveMigration", "Snapshot")
                  .migrations(MigrationConfiguration.builder().allowAutoConverge(true).build())
                  .build());
    }

    @Test
    @DisplayName("taking the bandwidth as bytes and timeouts as quoted integers")
    void numbers() {
      KubeVirt kubeVirt =
          Manifests.read(
              "apiVersion: kubevirt.io/v1\nkind: KubeVirt\nspec:\n  configuration:\n"
                  + "    migrations:\n      bandwidthPerMigration: 67108864\n"
                  + "      completionTimeoutPerGiB: '900'\n      progressTimeout: \"60\"\n"
                  + "      network: ~\n",
              KubeVirt.class);

      assertThat(kubeVirt.migrations())
          .isEqualTo(
              MigrationConfiguration.builder()
                  .bandwidthPerMigration(Quantity.ofMebibytes(64))
                  .completionTimeoutPerGiB(Duration.ofSeconds(900))
                  .progressTimeout(Duration.ofSeconds(60))
                  .build());
    }

    @Test
    @DisplayName("a bare configuration, with or without its migrations wrapper")
    void bareConfiguration() {
      MigrationConfiguration expected =
          MigrationConfiguration.builder().parallelOutboundMigrationsPerNode(4).build();

      assertThat(
              Manifests.read(
                  "parallelOutboundMigrationsPerNode: 4\n", MigrationConfiguration.class))
          .isEqualTo(expected);
      assertThat(
              Manifests.read(
                  "migrations:\n  Parallel Outbound Migrations Per Node: 4\n",
                  MigrationConfiguration.class))
          .isEqualTo(expected);
    }
  }

  @Nested
  @DisplayName("migration policies and requests")
  class PoliciesAndRequests {
    @Test
    @DisplayName("a policy with selectors and every override; unquoted label values taken as text")
    void policy() {
      Object read =
          Manifests.read(
              "apiVersion: migrations.kubevirt.io/v1alpha1\nkind: MigrationPolicy\n"
                  + "metadata:\n  name: hpc-policy\nspec:\n"
                  + "  selectors:\n    namespaceSelector:\n      hpc-workloads: true\n"
                  + "    virtualMachineInstanceSelector:\n      workload-type: db\n      tier: 1\n"
                  + "  allowAutoConverge: true\n  bandwidthPerMigration: 217Ki\n"
                  + "  completionTimeoutPerGiB: 23\n  allowPostCopy: false\n");

      assertThat(read)
          .isEqualTo(
              MigrationPolicy.builder()
                  .name("hpc-policy")
                  .putNamespaceSelector("hpc-workloads", "true")
                  .putVirtualMachineInstanceSelector("workload-type", "db")
                  .putVirtualMachineInstanceSelector("tier", "1")
                  .allowAutoConverge(true)
                  .bandwidthPerMigration(Quantity.parse("217Ki"))
                  .completionTimeoutPerGiB(Duration.ofSeconds(23))
                  .allowPostCopy(false)
                  .build());
    }

    @Test
    @DisplayName("a policy with no spec")
    void emptyPolicy() {
      assertThat(
              Manifests.read(
                  "apiVersion: migrations.kubevirt.io/v1alpha1\nkind: MigrationPolicy\n"
                      + "metadata:\n  name: p\n",
                  MigrationPolicy.class))
          .isEqualTo(MigrationPolicy.builder().name("p").build());
    }

    @Test
    @DisplayName("a request in a namespace, as v1alpha3 JSON")
    void request() {
      assertThat(
              Manifests.read(
                  "{\"apiVersion\": \"kubevirt.io/v1alpha3\","
                      + " \"kind\": \"VirtualMachineInstanceMigration\","
                      + " \"metadata\": {\"name\": \"job\", \"namespace\": \"prod\","
                      + " \"labels\": {\"a\": \"b\"}},"
                      + " \"spec\": {\"vmiName\": \"db-0\"}, \"status\": {\"phase\": \"Running\"}}",
                  VirtualMachineInstanceMigration.class))
          .isEqualTo(
              VirtualMachineInstanceMigration.builder()
                  .name("job")
                  .namespace("prod")
                  .vmiName("db-0")
                  .build());
    }
  }

  @Nested
  @DisplayName("several documents")
  class ReadAll {
    @Test
    @DisplayName("in order, skipping empty documents")
    void inOrder() {
      String text =
          "---\n"
              + GuideSnippets.text(GuideSnippets.MIGRATION)
              + "---\n---\n# nothing here\n---\n"
              + GuideSnippets.text(GuideSnippets.KUBEVIRT_LIMITS)
              + "...\n";

      assertThat(Manifests.readAll(text))
          .containsExactly(
              VirtualMachineInstanceMigration.of("migration-job", "vmi-fedora"),
              KubeVirt.builder().build());
      assertThat(Manifests.readAll("")).isEmpty();
    }

    @Test
    @DisplayName("with every document's problems, each naming its document")
    void problemsOfEveryDocument() {
      String text =
          "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\n"
              + "metadata:\n  name: a\n---\n"
              + GuideSnippets.text(GuideSnippets.MIGRATION)
              + "---\nkind: Pod\n";

      assertThatThrownBy(() -> Manifests.readAll(text))
          .isInstanceOfSatisfying(
              ManifestException.class,
              e ->
                  assertThat(e.problems())
                      .extracting(ManifestException.Problem::message)
                      .containsExactly(
                          "document 1: spec.vmiName is missing but it is required",
                          "document 3: kind was 'Pod' but it must be one of"
                              + " VirtualMachineInstanceMigration, KubeVirt, MigrationPolicy,"
                              + " VirtualMachineInstance, PersistentVolumeClaim"))
          .hasMessageStartingWith("2 problems in manifest:\n  document 1: ");
    }
  }

  @Nested
  @DisplayName("files and readers")
  class FilesAndReaders {
    @TempDir Path directory;

    @Test
    @DisplayName("a file, typed or not, and every document of a file")
    void file() throws IOException {
      Path file = directory.resolve("all.yaml");
      Files.writeString(
          file,
          GuideSnippets.text(GuideSnippets.MIGRATION)
              + "---\n"
              + GuideSnippets.text(GuideSnippets.KUBEVIRT_NETWORK),
          StandardCharsets.UTF_8);
      Path single = directory.resolve("one.yaml");
      Files.writeString(single, GuideSnippets.text(GuideSnippets.MIGRATION));

      assertThat(Manifests.readAll(file)).hasSize(2);
      assertThat(Manifests.read(single))
          .isEqualTo(VirtualMachineInstanceMigration.of("migration-job", "vmi-fedora"));
      assertThat(Manifests.read(single, VirtualMachineInstanceMigration.class).vmiName())
          .isEqualTo("vmi-fedora");
    }

    @Test
    @DisplayName("a missing file fails with a ManifestException naming it")
    void missingFile() {
      Path missing = directory.resolve("missing.yaml");

      assertThatThrownBy(() -> Manifests.read(missing))
          .isInstanceOf(ManifestException.class)
          .hasMessage("1 problem in manifest " + missing + ":\n  there is no such file");
      assertThatThrownBy(() -> Manifests.readAll(missing))
          .isInstanceOf(ManifestException.class)
          .hasMessageContaining(missing.toString());
    }

    @Test
    @DisplayName("a file with problems names the file in the summary")
    void fileWithProblems() throws IOException {
      Path file = directory.resolve("bad.yaml");
      Files.writeString(file, "kind: Pod\n");

      assertThatThrownBy(() -> Manifests.read(file))
          .isInstanceOf(ManifestException.class)
          .hasMessageStartingWith("1 problem in manifest " + file + ":\n");
    }

    @Test
    @DisplayName("a file that is not UTF-8 fails with a ManifestException naming it")
    void notUtf8() throws IOException {
      Path file = directory.resolve("latin1.yaml");
      Files.write(file, new byte[] {'k', 'i', 'n', 'd', ':', ' ', (byte) 0xE9, '\n'});

      assertThatThrownBy(() -> Manifests.read(file))
          .isInstanceOf(ManifestException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining("not UTF-8 at byte 7 (line 1, column 7)");
    }

    @Test
    @DisplayName("a reader, typed or not, and every document of a reader; the reader stays open")
    void reader() throws IOException {
      StringReader reader = new StringReader(GuideSnippets.text(GuideSnippets.STATE_ABORTED));
      assertThat(Manifests.read(reader, MigrationState.class).abortStatus())
          .contains(AbortStatus.SUCCEEDED);
      assertThat(reader.ready()).isTrue();

      assertThat(Manifests.read(new StringReader(GuideSnippets.text(GuideSnippets.MIGRATION))))
          .isInstanceOf(VirtualMachineInstanceMigration.class);
      assertThat(
              Manifests.readAll(
                  new StringReader(GuideSnippets.text(GuideSnippets.KUBEVIRT_DISABLE_TLS))))
          .singleElement()
          .isInstanceOf(KubeVirt.class);
    }

    @Test
    @DisplayName("a failing reader fails with an UncheckedIOException")
    void failingReader() {
      Reader failing =
          new Reader() {
            @Override
            public int read(char[] buffer, int offset, int length) throws IOException {
              throw new IOException("disk on fire");
            }

            @Override
            public void close() {}
          };

      assertThatThrownBy(() -> Manifests.read(failing))
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("disk on fire");
    }

    @Test
    @DisplayName("a reader of more than 10 MiB is refused")
    void hugeReader() {
      Reader endless =
          new Reader() {
            @Override
            public int read(char[] buffer, int offset, int length) {
              java.util.Arrays.fill(buffer, offset, offset + length, '#');
              return length;
            }

            @Override
            public void close() {}
          };

      assertThatThrownBy(() -> Manifests.read(endless))
          .isInstanceOf(ManifestException.class)
          .hasMessageContaining("must have at most 10485760 (10 MiB)");
    }
  }

  @Test
  @DisplayName("a condition given with a YAML boolean status")
  void booleanConditionStatus() {
    assertThat(
            Manifests.read(
                    "conditions:\n  - type: Paused\n    status: false\n",
                    VirtualMachineInstanceStatus.class)
                .conditions())
        .containsExactly(Condition.builder().type("Paused").status(ConditionStatus.FALSE).build());
  }
}
