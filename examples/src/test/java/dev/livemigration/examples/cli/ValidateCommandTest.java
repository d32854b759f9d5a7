package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("validate: every manifest kind, every problem with its field path")
class ValidateCommandTest {
  private static final String EVERY_KIND =
      Fixtures.MIGRATION_JOB
          + "---\n"
          + Fixtures.kubeVirt("parallelMigrationsPerCluster: 5", "bandwidthPerMigration: 64Mi")
          + """
      ---
      apiVersion: migrations.kubevirt.io/v1alpha1
      kind: MigrationPolicy
      metadata:
        name: hpc-policy
      spec:
        selectors:
          namespaceSelector:
            hpc-workloads: "true"
        allowAutoConverge: true
      ---
      apiVersion: kubevirt.io/v1
      kind: VirtualMachineInstance
      metadata:
        name: vmi-db
        namespace: shop
      spec:
        domain:
          memory:
            guest: 2Gi
        volumes:
          - name: data
            persistentVolumeClaim:
              claimName: db-data
      status:
        nodeName: node01
      ---
      apiVersion: v1
      kind: PersistentVolumeClaim
      metadata:
        name: db-data
        namespace: shop
      spec:
        accessModes:
          - ReadWriteMany
      """;

  private static final String BAD_KUBEVIRT =
      Fixtures.kubeVirt("parallelMigrationsPerCluster: five", "bandwidthPerMigration: -1Mi")
          + """
      ---
      apiVersion: kubevirt.io/v1
      kind: VirtualMachineInstanceMigration
      metadata:
        name: Migration_Job
      spec: {}
      """;

  @Test
  @DisplayName("reads every kind in one file and names each object; exit 0")
  void everyKind(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("all.yaml"), EVERY_KIND);

    Cli cli = Cli.run("validate", "-f", file.toString());

    assertThat(cli.code()).as(cli.toString()).isZero();
    assertThat(cli.out().lines())
        .containsExactly(
            file + ": VirtualMachineInstanceMigration default/migration-job is valid",
            file + ": KubeVirt kubevirt/kubevirt is valid",
            file + ": MigrationPolicy hpc-policy is valid",
            file + ": VirtualMachineInstance shop/vmi-db is valid",
            file + ": PersistentVolumeClaim shop/db-data is valid");
  }

  @Test
  @DisplayName("lists every problem of every document with its path; exit 2")
  void problems(@TempDir Path dir) throws IOException {
    Path bad = Files.writeString(dir.resolve("bad.yaml"), BAD_KUBEVIRT);

    Cli cli = Cli.run("validate", "-f", bad.toString());

    assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err())
        .contains(bad + ": 4 problems")
        .contains(
            "document 1: spec.configuration.migrations.parallelMigrationsPerCluster was 'five'")
        .contains("document 1: spec.configuration.migrations.bandwidthPerMigration was '-1Mi'")
        .contains("document 2: metadata.name was 'Migration_Job'")
        .contains("document 2: spec.vmiName is missing");
  }

  @Test
  @DisplayName("-o json reports each file, its objects and its problems with path and value")
  void json(@TempDir Path dir) throws IOException {
    Path good = Files.writeString(dir.resolve("good.yaml"), EVERY_KIND);
    Path bad = Files.writeString(dir.resolve("bad.yaml"), BAD_KUBEVIRT);

    Cli cli = Cli.run("validate", "-f", good.toString(), "-f", bad.toString(), "-o", "json");

    assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    JsonNode files = new ObjectMapper().readTree(cli.out()).path("files");
    assertThat(files).hasSize(2);
    assertThat(files.get(0).path("valid").asBoolean()).isTrue();
    assertThat(files.get(0).path("objects")).hasSize(5);
    JsonNode problem = files.get(1).path("problems").get(0);
    assertThat(problem.path("path").asText())
        .isEqualTo("spec.configuration.migrations.parallelMigrationsPerCluster");
    assertThat(problem.path("value").asText()).isEqualTo("'five'");
  }

  @Test
  @DisplayName("a missing file is a problem of that file; the others are still checked")
  void missingFile(@TempDir Path dir) throws IOException {
    Path missing = dir.resolve("nope.yaml");
    Path good = Files.writeString(dir.resolve("good.yaml"), EVERY_KIND);

    Cli cli = Cli.run("validate", "-f", missing.toString(), "-f", good.toString());

    assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err()).contains(missing + ": 1 problem");
    assertThat(cli.out()).contains(good + ": KubeVirt kubevirt/kubevirt is valid");
  }

  @Test
  @DisplayName("an empty file holds no manifest: a problem")
  void empty(@TempDir Path dir) throws IOException {
    Path empty = Files.writeString(dir.resolve("empty.yaml"), "# nothing\n");

    Cli cli = Cli.run("validate", "-f", empty.toString());

    assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err()).contains("the file holds no document but it must hold at least one");
  }

  @Test
  @DisplayName("-f - reads standard input")
  void standardInput() {
    Cli cli =
        Cli.runWithInput(
            "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\n"
                + "metadata:\n  name: job\nspec:\n  vmiName: vmi-fedora\n",
            "validate",
            "-f",
            "-");

    assertThat(cli.code()).as(cli.toString()).isZero();
    assertThat(cli.out()).isEqualTo("-: VirtualMachineInstanceMigration default/job is valid\n");
  }

  @Test
  @DisplayName("warns about a misspelt section, with the field meant; still valid, exit 0")
  void warnings(@TempDir Path dir) throws IOException {
    Path file =
        Files.writeString(
            dir.resolve("kubevirt.yaml"),
            """
            apiVersion: kubevirt.io/v1
            kind: KubeVirt
            metadata:
              name: kubevirt
              namespace: kubevirt
            spec:
              migrations:
                allowPostCopy: true
              configuration:
                migration:
                  parallelMigrationsPerCluster: 9
            """);

    Cli cli = Cli.run("validate", "-f", file.toString());

    assertThat(cli.code()).as(cli.toString()).isZero();
    assertThat(cli.out()).isEqualTo(file + ": KubeVirt kubevirt/kubevirt is valid\n");
    assertThat(cli.err().lines())
        .containsExactly(
            file + ": 2 warnings",
            "  document 1: spec.migrations is not a known field and is ignored; did you mean"
                + " spec.configuration.migrations?",
            "  document 1: spec.configuration.migration is not a known field and is ignored; did"
                + " you mean spec.configuration.migrations?");

    JsonNode json =
        new ObjectMapper()
            .readTree(Cli.run("validate", "-f", file.toString(), "-o", "json").out())
            .path("files")
            .get(0)
            .path("warnings");
    assertThat(json).hasSize(2);
    assertThat(json.get(1).path("path").asText()).isEqualTo("spec.configuration.migration");
    assertThat(json.get(1).path("suggestion").asText()).isEqualTo("spec.configuration.migrations");
  }

  @Test
  @DisplayName("a file that is not UTF-8 is a problem in words")
  void notUtf8(@TempDir Path dir) throws IOException {
    Path file =
        Files.write(
            dir.resolve("latin1.yaml"),
            "kind: KubeVirt\n# caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));

    Cli cli = Cli.run("validate", "-f", file.toString());

    assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err())
        .contains(file + ": 1 problem")
        .contains("the file is not UTF-8 at byte 21 (line 2, column 6)")
        .doesNotContain("Exception");
  }

  @Test
  @DisplayName("-f is required")
  void noFile() {
    Cli cli = Cli.run("validate");

    assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err()).contains("Missing required option: '--filename=FILE'");
  }
}
