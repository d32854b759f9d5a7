package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.manifest.ManifestException.Problem;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Keys of one map that differ only in case are a clash, not a silent choice")
class ManifestsKeyClashTest {
  private static List<String> messages(String text, Class<?> type) {
    ManifestException e =
        catchThrowableOfType(ManifestException.class, () -> Manifests.read(text, type));
    assertThat(e).as("reading should fail:\n%s", text).isNotNull();
    return e.problems().stream().map(Problem::message).toList();
  }

  @Test
  @DisplayName("spec and Spec of a KubeVirt CR")
  void specAndSpec() {
    String text =
        """
        apiVersion: kubevirt.io/v1
        kind: KubeVirt
        spec:
          configuration:
            migrations:
              parallelMigrationsPerCluster: 5
        Spec:
          configuration:
            migrations:
              parallelMigrationsPerCluster: 9
        """;

    assertThat(messages(text, KubeVirt.class))
        .containsExactly("Spec is given more than once (first as 'spec')");
  }

  @Test
  @DisplayName("migrations and Migrations, and Kind beside kind")
  void migrationsAndMigrations() {
    String text =
        """
        apiVersion: kubevirt.io/v1
        kind: KubeVirt
        Kind: Pod
        spec:
          configuration:
            migrations:
              parallelMigrationsPerCluster: 5
            Migrations:
              parallelMigrationsPerCluster: 9
        """;

    assertThat(messages(text, Object.class))
        .containsExactly(
            "Kind is given more than once (first as 'kind')",
            "spec.configuration.Migrations is given more than once (first as 'migrations')");
  }

  @Test
  @DisplayName("domain and Domain of a VMI")
  void domainAndDomain() {
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
          Domain:
            memory:
              guest: 2Gi
        status:
          nodeName: node01
        """;

    assertThat(messages(text, VirtualMachineInstance.class))
        .containsExactly("spec.Domain is given more than once (first as 'domain')");
  }

  @Test
  @DisplayName("labels keep their case: app and App are two labels")
  void labelsKeepCase() {
    String text =
        """
        apiVersion: kubevirt.io/v1
        kind: VirtualMachineInstance
        metadata:
          name: vmi
          labels:
            app: a
            App: b
        spec:
          domain:
            memory:
              guest: 1Gi
        status:
          nodeName: node01
        """;

    assertThat(Manifests.read(text, VirtualMachineInstance.class).labels())
        .containsEntry("app", "a")
        .containsEntry("App", "b");
  }
}
