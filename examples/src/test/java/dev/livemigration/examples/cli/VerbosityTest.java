package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The CLI's log, as a person sees it")
class VerbosityTest {
  @TempDir Path dir;

  /** What a run of the CLI in a JVM of its own printed. */
  record Run(int code, String out, String err) {}

  /** Runs the CLI in a fresh JVM: slf4j-simple reads its levels once per JVM. */
  private Run cli(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(LiveMigrationCli.class.getName());
    command.addAll(List.of(args));
    File out = dir.resolve("out.txt").toFile();
    File err = dir.resolve("err.txt").toFile();
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out)
            .redirectError(err)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the CLI did not end within 120 s");
    }
    return new Run(
        process.exitValue(),
        Files.readString(out.toPath(), StandardCharsets.UTF_8),
        Files.readString(err.toPath(), StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("migrate prints the result and no log lines by default, and reads as today")
  void quietByDefault() throws Exception {
    Run run = cli("migrate", "vmi-fedora");
    assertThat(run.code()).as(run.toString()).isZero();
    assertThat(run.err()).as(run.toString()).doesNotContain("INFO").doesNotContain("DEBUG");
    assertThat(run.out()).contains("vmi-fedora").doesNotContain("INFO");
    String today = LocalDate.now(ZoneOffset.UTC).toString();
    String yesterday = LocalDate.now(ZoneOffset.UTC).minusDays(1).toString();
    assertThat(run.out()).as(run.toString()).containsAnyOf(today, yesterday);
    assertThat(run.out()).doesNotContain("2019-03-29");
  }

  @Test
  @DisplayName("-v shows the engine's INFO log on standard error, -vv this library's debug log")
  void verbose() throws Exception {
    Run info = cli("migrate", "vmi-fedora", "-v");
    assertThat(info.code()).as(info.toString()).isZero();
    assertThat(info.err())
        .as(info.toString())
        .contains("INFO dev.livemigration.core.DefaultMigrationEngine - Queued migration")
        .doesNotContain("DEBUG");
    assertThat(info.out()).doesNotContain("INFO");

    Run debug = cli("-vv", "migrate", "vmi-fedora");
    assertThat(debug.code()).as(debug.toString()).isZero();
    // The engine's debug line of each sample: its figures and the estimate.
    assertThat(debug.err())
        .as(debug.toString())
        .contains("INFO dev.livemigration.")
        .containsPattern(
            "DEBUG dev\\.livemigration\\.core\\.MigrationDriver - Migration"
                + " default/migration-vmi-fedora \\(.+\\): pass \\d+: remaining .* MiB.*; \\d+ %");
    assertThat(debug.out()).doesNotContain("DEBUG");
  }

  @Test
  @DisplayName("counts -v before and after the subcommand")
  void counts() {
    assertThat(count("migrate", "vmi-fedora")).isZero();
    assertThat(count("migrate", "vmi-fedora", "-v")).isEqualTo(1);
    assertThat(count("-v", "migrate", "vmi-fedora")).isEqualTo(1);
    assertThat(count("migrate", "-vv", "vmi-fedora")).isEqualTo(2);
    assertThat(count("-v", "migrate", "--verbose", "vmi-fedora")).isEqualTo(2);
  }

  private static int count(String... args) {
    return Verbosity.count(new picocli.CommandLine(LiveMigrationCli.class).parseArgs(args));
  }

  @Test
  @DisplayName("maps -v counts to slf4j-simple's levels")
  void levels() {
    assertThat(Verbosity.levels(0)).isEqualTo(Map.of(Verbosity.DEFAULT_LEVEL, "warn"));
    assertThat(Verbosity.levels(1)).isEqualTo(Map.of(Verbosity.DEFAULT_LEVEL, "info"));
    assertThat(Verbosity.levels(2))
        .isEqualTo(Map.of(Verbosity.DEFAULT_LEVEL, "info", Verbosity.LIBRARY_LEVEL, "debug"));
    assertThat(Verbosity.levels(3)).isEqualTo(Verbosity.levels(2));
  }
}
