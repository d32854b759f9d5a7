package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("session: a script of steps against one target")
class SessionCommandTest {

  @Test
  @DisplayName("watches a migration run, cancels it, and exits 0 when the cancel took")
  void watchAndCancel(@TempDir Path dir) throws IOException {
    Path script =
        Files.writeString(
            dir.resolve("cancel.script"),
            """
            # the guide: virtctl migrate, then virtctl migrate-cancel
            migrate vmi-fedora
            wait 3s
            status vmi-fedora   # while it runs
            migrate-cancel vmi-fedora
            """);

    Cli cli = Cli.run("session", "-f", script.toString());

    assertThat(cli.code()).as(cli.toString()).isZero();
    assertThat(cli.out())
        .contains("[+0.0s] migrate vmi-fedora\n")
        .contains(
            "migration default/migration-vmi-fedora of VMI vmi-fedora: created, phase Pending")
        .contains("[+3.0s] status vmi-fedora\n")
        .contains("Phase:                          Running")
        .contains("[+3.0s] migrate-cancel vmi-fedora\n")
        .contains("of VMI vmi-fedora: cancel requested, phase Running")
        .contains("default/vmi-fedora (migration migration-vmi-fedora): cancelled")
        .contains("Abort Status:                   Succeeded");
  }

  @Test
  @DisplayName("reads the script from standard input; -o json prints one document per step")
  void jsonFromStandardInput() throws IOException {
    Cli cli =
        Cli.runWithInput(
            "migrate vmi-fedora\nwait 2s\nstatus vmi-fedora\nwait\nstatus vmi-fedora\n",
            "session",
            "-o",
            "json");

    assertThat(cli.code()).as(cli.toString()).isZero();
    List<JsonNode> documents =
        new ObjectMapper().readerFor(JsonNode.class).<JsonNode>readValues(cli.out()).readAll();
    assertThat(documents).hasSize(4);
    assertThat(documents.get(0).path("kind").asText()).isEqualTo("VirtualMachineInstanceMigration");
    assertThat(documents.get(1).at("/migrationState/phase").asText()).isEqualTo("Running");
    assertThat(documents.get(2).at("/migrationState/phase").asText()).isEqualTo("Succeeded");
    JsonNode summary = documents.get(3).path("migrations").get(0);
    assertThat(summary.path("cancelRequested").asBoolean()).isFalse();
    assertThat(summary.path("endedAsAsked").asBoolean()).isTrue();
  }

  @Test
  @DisplayName("-o yaml separates the documents with ---")
  void yaml() {
    Cli cli = Cli.runWithInput("migrate vmi-fedora\nstatus vmi-fedora\n", "session", "-o", "yaml");

    assertThat(cli.code()).as(cli.toString()).isZero();
    assertThat(cli.out().split("(?m)^---$")).hasSize(3);
  }

  @Test
  @DisplayName("a cancel right after migrate takes the migration out of the queue: exit 0")
  void cancelPending() {
    Cli cli = Cli.runWithInput("migrate vmi-fedora\nmigrate-cancel vmi-fedora\n", "session");

    assertThat(cli.code()).as(cli.toString()).isZero();
    assertThat(cli.out())
        .contains("of VMI vmi-fedora: cancel requested, phase Failed")
        .contains("Abort Status:                   Succeeded")
        .doesNotContain("Target Node:");
  }

  @Test
  @DisplayName("a cancel after the migration ended came too late: exit 1")
  void tooLate() {
    Cli cli =
        Cli.runWithInput("migrate vmi-fedora\nwait 10m\nmigrate-cancel vmi-fedora\n", "session");

    assertThat(cli.code()).as(cli.toString()).isEqualTo(LiveMigrationCli.MIGRATION_FAILED);
    assertThat(cli.out())
        .contains("of VMI vmi-fedora: had already ended, phase Succeeded")
        .contains("the cancel came too late, the migration succeeded");
  }

  @Test
  @DisplayName("drains a node within the session, then shows where the VMI went")
  void drain() {
    Cli cli = Cli.runWithInput("drain node02\nwait\nstatus vmi-fedora\n", "session");

    assertThat(cli.code()).as(cli.toString()).isZero();
    assertThat(cli.out())
        .containsPattern(
            "migration default/kubevirt-evacuation-\\w+ of VMI vmi-fedora: created, phase Pending")
        .containsPattern("Target Node: +node01");
  }

  @Test
  @DisplayName("checks every line before the first runs: a typo on line 3 runs nothing")
  void typo() {
    Cli cli = Cli.runWithInput("migrate vmi-fedora\nwait 3s\nwiat 3s\n", "session");

    assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err())
        .contains("line 3 'wiat 3s'")
        .contains("steps are migrate, migrate-cancel, status, drain and wait");
    assertThat(cli.out()).isEmpty();
  }

  @Test
  @DisplayName("a bad duration names the line and the value")
  void badDuration() {
    Cli cli = Cli.runWithInput("migrate vmi-fedora\nwait three\n", "session");

    assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err()).contains("line 2 'wait three'").contains("but was 'three'");
  }

  @Test
  @DisplayName("cancelling a VMI that is not migrating is bad input naming the line")
  void nothingToCancel() {
    Cli cli = Cli.runWithInput("status vmi-fedora\nmigrate-cancel vmi-fedora\n", "session");

    assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err())
        .contains(
            "line 2 'migrate-cancel vmi-fedora': migrate-cancel needs a VMI that is migrating,"
                + " but default/vmi-fedora is not");
  }

  @Test
  @DisplayName("a missing script file is bad input naming it")
  void missingScript(@TempDir Path dir) {
    Path missing = dir.resolve("nope.script");

    Cli cli = Cli.run("session", "-f", missing.toString());

    assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err()).contains(missing.toString());
  }
}
