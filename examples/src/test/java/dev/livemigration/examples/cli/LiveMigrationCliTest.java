package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The livemigration CLI")
class LiveMigrationCliTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return LiveMigrationCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  @DisplayName("migrate prints the guide's Migration State and exits 0")
  void migrate() {
    int code = run("migrate", "vmi-fedora");

    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString())
        .startsWith("Migration State:")
        .contains("Completed:")
        .contains("Source Node:                    node02")
        .contains("Phase:                          Succeeded")
        .contains("Target Node Domain Detected:    true");
  }

  @Test
  @DisplayName("migrate -f reads the guide's VirtualMachineInstanceMigration and prints JSON")
  void migrateFromManifest(@TempDir Path dir) throws IOException {
    Path manifest = dir.resolve("migration.yaml");
    Files.writeString(
        manifest,
        """
        apiVersion: kubevirt.io/v1
        kind: VirtualMachineInstanceMigration
        metadata:
          name: migration-job
        spec:
          vmiName: vmi-fedora
        """);

    int code = run("migrate", "-f", manifest.toString(), "-o", "json");

    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).contains("\"completed\": true").contains("\"sourceNode\"");
  }

  @Test
  @DisplayName("migrate --cancel-after shows Abort Requested and Abort Status, and exits 1")
  void cancel() {
    int code = run("migrate", "vmi-fedora", "--cancel-after", "PT3S");

    assertThat(code).isEqualTo(LiveMigrationCli.MIGRATION_FAILED);
    assertThat(out.toString())
        .contains("Abort Requested:                true")
        .contains("Abort Status:                   Succeeded")
        .contains("Failed:                         true");
  }

  @Test
  @DisplayName("status prints the LiveMigratable condition and the migration method")
  void status() {
    assertThat(run("status", "vmi-fedora")).isZero();
    assertThat(out.toString())
        .contains("Type:")
        .contains("LiveMigratable")
        .contains("Migration Method:                 LiveMigration");
  }

  @Test
  @DisplayName("an unknown VMI is bad input: exit 2 with the reason")
  void unknownVmi() {
    assertThat(run("migrate", "vmi-nope")).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(err.toString()).contains("default/vmi-nope is not running");
  }

  @Test
  @DisplayName("validate lists every problem with its field path and exits 2")
  void validate(@TempDir Path dir) throws IOException {
    Path bad = dir.resolve("kubevirt.yaml");
    Files.writeString(
        bad,
        """
        apiVersion: kubevirt.io/v1
        kind: KubeVirt
        metadata:
          name: kubevirt
          namespace: kubevirt
        spec:
          configuration:
            migrations:
              parallelMigrationsPerCluster: five
              bandwidthPerMigration: -1Mi
        """);

    assertThat(run("validate", "-f", bad.toString())).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(err.toString())
        .contains("spec.configuration.migrations.parallelMigrationsPerCluster was 'five'")
        .contains("spec.configuration.migrations.bandwidthPerMigration was '-1Mi'");
  }

  @Test
  @DisplayName("sweep writes a CSV and an SVG chart for every strategy")
  void sweep(@TempDir Path dir) throws IOException {
    assertThat(run("sweep", "--memory", "256Mi", "--out", dir.toString())).isZero();
    String csv = Files.readString(dir.resolve("sweep.csv"));
    assertThat(csv.lines()).hasSize(1 + 5 * 5);
    assertThat(csv).contains("post-copy,3.0,succeeded");
    assertThat(Files.readString(dir.resolve("sweep.svg"))).startsWith("<svg");
  }
}
