package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.VirtualMachineInstance;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Ignored keys draw warnings, with the known field most likely meant")
class ManifestsWarningsTest {
  private static final String HEADER = "apiVersion: kubevirt.io/v1\nkind: KubeVirt\n";

  private static List<String> warnings(String text) {
    return Manifests.readWithWarnings(text, Object.class).warnings().stream()
        .map(ManifestWarning::message)
        .toList();
  }

  @Nested
  @DisplayName("a misspelt or misplaced section")
  class Misspelt {
    @Test
    @DisplayName("spec.configuration.migration: did you mean migrations?")
    void migration() {
      ManifestResult<KubeVirt> read =
          Manifests.readWithWarnings(
              HEADER
                  + "spec:\n  configuration:\n    migration:\n      parallelMigrationsPerCluster: 9\n",
              KubeVirt.class);

      assertThat(read.value().migrations()).isEqualTo(MigrationConfiguration.defaults());
      assertThat(read.warnings())
          .containsExactly(
              new ManifestWarning(
                  "spec.configuration.migration",
                  "spec.configuration.migrations",
                  "spec.configuration.migration is not a known field and is ignored; did you mean"
                      + " spec.configuration.migrations?"));
    }

    @Test
    @DisplayName("migrations directly under spec: did you mean spec.configuration.migrations?")
    void migrationsUnderSpec() {
      assertThat(warnings(HEADER + "spec:\n  migrations:\n    allowPostCopy: true\n"))
          .containsExactly(
              "spec.migrations is not a known field and is ignored; did you mean"
                  + " spec.configuration.migrations?");
    }

    @Test
    @DisplayName("a swapped letter at the top, a word far from every field")
    void topLevel() {
      assertThat(warnings(HEADER + "sepc:\n  configuration: {}\nfrobnicate: 1\n"))
          .containsExactly(
              "sepc is not a known field and is ignored; did you mean spec?",
              "frobnicate is not a known field and is ignored");
    }

    @Test
    @DisplayName("a VMI's misspelt devices, and a claim's misspelt accessModes")
    void instanceAndClaim() {
      String text =
          """
          apiVersion: kubevirt.io/v1
          kind: VirtualMachineInstance
          metadata:
            name: vmi
          spec:
            domain:
              memory:
                guest: 1Gi
              device:
                interfaces: []
          status:
            nodeName: node01
          ---
          apiVersion: v1
          kind: PersistentVolumeClaim
          metadata:
            name: data
          spec:
            accesModes: [ReadWriteMany]
          """;

      assertThat(
              Manifests.readAllWithWarnings(new StringReader(text)).warnings().stream()
                  .map(ManifestWarning::message))
          .containsExactly(
              "document 1: spec.domain.device is not a known field and is ignored; did you mean"
                  + " spec.domain.devices?",
              "document 2: spec.accesModes is not a known field and is ignored; did you mean"
                  + " spec.accessModes?");
    }
  }

  @Nested
  @DisplayName("no warnings")
  class None {
    @Test
    @DisplayName("for the KubeVirt CR's fields that this library does not read")
    void unrelatedFields() {
      String text =
          HEADER
              + """
              metadata:
                name: kubevirt
                namespace: kubevirt
                annotations:
                  kubevirt.io/latest-observed-api-version: v1
                finalizers: [foregroundDeleteKubeVirt]
                generation: 2
                resourceVersion: "1234"
                uid: 7c3b
              spec:
                certificateRotateStrategy: {}
                imagePullPolicy: IfNotPresent
                infra:
                  replicas: 2
                workloadUpdateStrategy:
                  workloadUpdateMethods: [LiveMigrate]
                configuration:
                  developerConfiguration:
                    featureGates: [LiveMigration]
                    logVerbosity:
                      virtLauncher: 2
                  network:
                    defaultNetworkInterface: masquerade
                  migrations:
                    parallelMigrationsPerCluster: 5
              status:
                phase: Deployed
                anything: goes
              """;

      assertThat(warnings(text)).isEmpty();
    }

    @Test
    @DisplayName("for the guide's snippets and a VMI as kubectl prints it")
    void guideAndKubectl() {
      for (Object[] snippet : GuideSnippets.READABLE) {
        assertThat(
                Manifests.readWithWarnings(
                        GuideSnippets.text((String) snippet[0]), (Class<?>) snippet[1])
                    .warnings())
            .as((String) snippet[0])
            .isEmpty();
      }
      assertThat(
              Manifests.readAllWithWarnings(
                      InstanceSnippets.FEDORA + "---\n" + InstanceSnippets.DATABASE)
                  .warnings())
          .isEmpty();
    }
  }

  @Test
  @DisplayName("a manifest with problems carries its warnings in the exception")
  void withProblems() {
    ManifestException e =
        catchThrowableOfType(
            ManifestException.class,
            () ->
                Manifests.readWithWarnings(
                    HEADER
                        + "spec:\n  configuration:\n    migratons: {}\n    migrations:\n"
                        + "      parallelMigrationsPerCluster: five\n",
                    KubeVirt.class));

    assertThat(e.problems()).hasSize(1);
    assertThat(e.warnings())
        .extracting(ManifestWarning::suggestion)
        .containsExactly("spec.configuration.migrations");
    assertThat(e.getMessage()).doesNotContain("migratons");
  }

  @Test
  @DisplayName("read without warnings still reads, and a VMI read alone warns too")
  void plainReadUnchanged() {
    assertThat(
            Manifests.read(HEADER + "spec:\n  configuration:\n    migration: {}\n", KubeVirt.class)
                .migrations())
        .isEqualTo(MigrationConfiguration.defaults());
    assertThat(
            Manifests.readWithWarnings(InstanceSnippets.FEDORA, VirtualMachineInstance.class)
                .warnings())
        .isEmpty();
  }
}
