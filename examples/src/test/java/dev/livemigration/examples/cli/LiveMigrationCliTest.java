package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import dev.livemigration.api.manifest.Manifests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The livemigration CLI")
class LiveMigrationCliTest {
  private static Path write(Path dir, String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text);
  }

  @Nested
  @DisplayName("migrate")
  class Migrate {
    @Test
    @DisplayName("prints the guide's Migration State and exits 0")
    void migrate() {
      Cli cli = Cli.run("migrate", "vmi-fedora");

      assertThat(cli.code()).as(cli.toString()).isZero();
      assertThat(cli.out())
          .startsWith("Migration State:")
          .contains("Completed:                      true")
          .contains("Source Node:                    node02")
          .contains("Phase:                          Succeeded")
          .contains("Target Node Domain Detected:    true");
    }

    @Test
    @DisplayName(
        "-f reads the guide's VirtualMachineInstanceMigration; -o json is a MigrationState")
    void fromManifest(@TempDir Path dir) throws IOException {
      Path manifest = write(dir, "migration.yaml", Fixtures.MIGRATION_JOB);

      Cli cli = Cli.run("migrate", "-f", manifest.toString(), "-o", "json");

      assertThat(cli.code()).as(cli.toString()).isZero();
      MigrationState state = Manifests.read(cli.out(), MigrationState.class);
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.sourceNode()).contains("node02");
    }

    @Test
    @DisplayName("-o yaml prints a MigrationState that Manifests reads back")
    void yaml() {
      Cli cli = Cli.run("migrate", "vmi-fedora", "--output", "yaml");

      assertThat(cli.code()).as(cli.toString()).isZero();
      assertThat(Manifests.read(cli.out(), MigrationState.class).completed()).isTrue();
    }

    @Test
    @DisplayName(
        "--config applies the KubeVirt CR: a too short completion timeout fails it, exit 1")
    void config(@TempDir Path dir) throws IOException {
      Path kubevirt = write(dir, "kubevirt.yaml", Fixtures.kubeVirt("completionTimeoutPerGiB: 5"));

      Cli cli = Cli.run("migrate", "vmi-fedora", "--config", kubevirt.toString());

      assertThat(cli.code()).as(cli.toString()).isEqualTo(LiveMigrationCli.MIGRATION_FAILED);
      assertThat(cli.out())
          .contains("Failed:                         true")
          .contains("Completion Timeout Per GiB:   5")
          .contains("Failure Reason:                 completion timeout");
      assertThat(cli.err()).contains("vmi-fedora: failed: completion timeout");
    }

    @Test
    @DisplayName("--policy applies a MigrationPolicy that selects vmi-fedora by its label")
    void policy(@TempDir Path dir) throws IOException {
      Path policy =
          write(
              dir,
              "policy.yaml",
              """
              apiVersion: migrations.kubevirt.io/v1alpha1
              kind: MigrationPolicy
              metadata:
                name: fedora-post-copy
              spec:
                selectors:
                  virtualMachineInstanceSelector:
                    special: vmi-fedora
                allowPostCopy: true
                bandwidthPerMigration: 128Mi
              """);

      Cli cli = Cli.run("migrate", "vmi-fedora", "--policy", policy.toString());

      assertThat(cli.code()).as(cli.toString()).isZero();
      assertThat(cli.out())
          .contains("Migration Policy Name:          fedora-post-copy")
          .contains("Allow Post Copy:              true")
          .contains("Bandwidth Per Migration:      128Mi");
    }

    @Test
    @DisplayName("an unknown VMI is bad input: exit 2 with the reason")
    void unknownVmi() {
      Cli cli = Cli.run("migrate", "vmi-nope");

      assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(cli.err()).contains("default/vmi-nope is not running");
      assertThat(cli.out()).isEmpty();
    }

    @Test
    @DisplayName("neither or both of a VMI and -f is bad input")
    void whatToMigrate(@TempDir Path dir) throws IOException {
      Path manifest = write(dir, "migration.yaml", Fixtures.MIGRATION_JOB);

      Cli neither = Cli.run("migrate");
      Cli both = Cli.run("migrate", "vmi-fedora", "-f", manifest.toString());

      assertThat(neither.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(neither.err()).contains("give a VMI name or -f FILE, but neither was given");
      assertThat(both.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(both.err()).contains("not both, but was 'vmi-fedora' and -f");
    }

    @Test
    @DisplayName("a --config that is not a KubeVirt CR is bad input naming the file and the kind")
    void configOfTheWrongKind(@TempDir Path dir) throws IOException {
      Path manifest = write(dir, "migration.yaml", Fixtures.MIGRATION_JOB);

      Cli cli = Cli.run("migrate", "vmi-fedora", "--config", manifest.toString());

      assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(cli.err())
          .contains(manifest.toString())
          .contains("VirtualMachineInstanceMigration");
    }

    @Test
    @DisplayName("a missing --policy file is bad input naming the file")
    void missingPolicy(@TempDir Path dir) {
      Path missing = dir.resolve("nope.yaml");

      Cli cli = Cli.run("migrate", "vmi-fedora", "--policy", missing.toString());

      assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(cli.err()).contains(missing.toString());
    }
  }

  @Nested
  @DisplayName("migrate-cancel")
  class MigrateCancel {
    @Test
    @DisplayName("stops a running migration: Abort Requested, Abort Status Succeeded, exit 0")
    void cancel() {
      Cli cli = Cli.run("migrate-cancel", "vmi-fedora", "--after", "3s");

      assertThat(cli.code()).as(cli.toString()).isZero();
      assertThat(cli.out())
          .contains("Abort Requested:                true")
          .contains("Abort Status:                   Succeeded")
          .contains("Failed:                         true")
          .contains("Source Node:                    node02")
          .contains("Target Node Domain Detected:    false");
    }

    @Test
    @DisplayName("--after 0 cancels as soon as the migration has started; -o yaml reads back")
    void atOnce() {
      Cli cli = Cli.run("migrate-cancel", "vmi-fedora", "--after", "0", "-o", "yaml");

      assertThat(cli.code()).as(cli.toString()).isZero();
      MigrationState state = Manifests.read(cli.out(), MigrationState.class);
      assertThat(state.abortStatus()).contains(AbortStatus.SUCCEEDED);
      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.targetNodeDomainDetected()).isFalse();
    }

    @Test
    @DisplayName("a cancel after the migration ended came too late: Succeeded, exit 1")
    void tooLate() {
      Cli cli = Cli.run("migrate-cancel", "vmi-fedora", "--after", "PT10M");

      assertThat(cli.code()).as(cli.toString()).isEqualTo(LiveMigrationCli.MIGRATION_FAILED);
      assertThat(cli.out()).contains("Phase:                          Succeeded");
      assertThat(cli.err()).contains("vmi-fedora: the cancel came too late");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-3s", "soon", "3 s"})
    @DisplayName("a bad --after is bad input naming the option and the value")
    void badAfter(String after) {
      Cli cli = Cli.run("migrate-cancel", "vmi-fedora", "--after", after);

      assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(cli.err()).contains("'--after'").contains("but was '" + after + "'");
    }
  }

  @Nested
  @DisplayName("status")
  class Status {
    @Test
    @DisplayName("prints the LiveMigratable condition and the migration method")
    void status() {
      Cli cli = Cli.run("status", "vmi-fedora");

      assertThat(cli.code()).as(cli.toString()).isZero();
      assertThat(cli.out())
          .contains("Type:                           LiveMigratable")
          .contains("Migration Method:                 LiveMigration");
    }

    @Test
    @DisplayName("-o json prints a VirtualMachineInstanceStatus that Manifests reads back")
    void json() {
      Cli cli = Cli.run("status", "vmi-fedora", "-o", "json");

      VirtualMachineInstanceStatus status =
          Manifests.read(cli.out(), VirtualMachineInstanceStatus.class);
      assertThat(status.conditions())
          .singleElement()
          .satisfies(c -> assertThat(c.type()).isEqualTo("LiveMigratable"));
      assertThat(status.migrationState()).isEmpty();
    }

    @Test
    @DisplayName("a VMI of another namespace is unknown: exit 2")
    void namespace() {
      Cli cli = Cli.run("status", "vmi-fedora", "-n", "shop");

      assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(cli.err()).contains("shop/vmi-fedora");
    }
  }

  @Nested
  @DisplayName("drain")
  class DrainNode {
    @Test
    @DisplayName("moves vmi-fedora off node02 and prints how it ended")
    void drain() {
      Cli cli = Cli.run("drain", "node02");

      assertThat(cli.code()).as(cli.toString()).isZero();
      assertThat(cli.out())
          .containsPattern("default/vmi-fedora \\(migration kubevirt-evacuation-\\w+\\): succeeded")
          .contains("Phase:                          Succeeded");
    }

    @Test
    @DisplayName("-o json prints one report of every migration")
    void json() throws IOException {
      Cli cli = Cli.run("drain", "node02", "-o", "json");

      var report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(cli.out());
      assertThat(report.path("migrations")).hasSize(1);
      var migration = report.path("migrations").get(0);
      assertThat(migration.path("vmiName").asText()).isEqualTo("vmi-fedora");
      assertThat(migration.path("endedAsAsked").asBoolean()).isTrue();
      assertThat(migration.path("migrationState").path("phase").asText()).isEqualTo("Succeeded");
      assertThat(report.path("skipped")).isEmpty();
    }

    @Test
    @DisplayName("a node with nothing on it drains at once with nothing to print")
    void emptyNode() {
      Cli cli = Cli.run("drain", "node03");

      assertThat(cli.code()).as(cli.toString()).isZero();
      assertThat(cli.out()).isEmpty();
    }

    @Test
    @DisplayName("an unknown node is bad input")
    void unknownNode() {
      Cli cli = Cli.run("drain", "node09");

      assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(cli.err()).contains("node node09 is not in the inventory");
    }
  }

  @Nested
  @DisplayName("every command")
  class Every {
    @ParameterizedTest
    @ValueSource(
        strings = {"migrate", "migrate-cancel", "status", "drain", "validate", "session", "sweep"})
    @DisplayName("documents the exit codes in --help")
    void exitCodesInHelp(String command) {
      Cli cli = Cli.run(command, "--help");

      assertThat(cli.code()).isZero();
      assertThat(cli.out())
          .contains("Exit codes:")
          .contains("0   ok:")
          .contains("1   a migration did not end as asked")
          .contains("2   bad input")
          .contains("3   the target failed");
    }

    @Test
    @DisplayName("refuses an unknown --output, naming the option, the rule and the value")
    void badOutput() {
      Cli cli = Cli.run("status", "vmi-fedora", "-o", "xml");

      assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(cli.err())
          .contains(
              "Invalid value for option '--output': must be human, json or yaml, but was 'xml'");
    }

    @Test
    @DisplayName("an unknown command or option is bad input")
    void unknown() {
      assertThat(Cli.run("migrate-all").code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(Cli.run("migrate", "vmi-fedora", "--fast").err()).contains("--fast");
    }

    @Test
    @DisplayName("flushes what it printed before it returns (main exits right after)")
    void flushes() {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      PrintWriter buffered = new PrintWriter(bytes, false, StandardCharsets.UTF_8);

      int code =
          LiveMigrationCli.run(
              new StringReader(""),
              buffered,
              new PrintWriter(new ByteArrayOutputStream()),
              "migrate",
              "vmi-fedora");

      assertThat(code).isZero();
      assertThat(bytes.toString(StandardCharsets.UTF_8)).startsWith("Migration State:");
    }
  }
}
