package dev.livemigration.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livemigration.api.manifest.ManifestException;
import dev.livemigration.api.manifest.ManifestResult;
import dev.livemigration.api.manifest.ManifestWarning;
import dev.livemigration.api.manifest.Manifests;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Checks manifests of every kind the SDK reads ({@code VirtualMachineInstanceMigration}, {@code
 * KubeVirt}, {@code MigrationPolicy}, {@code VirtualMachineInstance}, {@code
 * PersistentVolumeClaim}), several documents per file, and prints every problem with its field
 * path, and a warning for each ignored key (a misspelt section, with the field most likely meant).
 */
@Command(
    name = "validate",
    description = {
      "Check manifests: VirtualMachineInstanceMigration, KubeVirt, MigrationPolicy,"
          + " VirtualMachineInstance and PersistentVolumeClaim, several documents per file"
          + " (separated by ---). Print every problem with its field path, and a warning for"
          + " each ignored key, such as a misspelt section, with the field most likely meant.",
      "Exits 0 if every file is valid (warnings or not), 2 if one has a problem."
    })
final class ValidateCommand implements Callable<Integer> {
  private final Reader stdin;

  @Option(
      names = {"-f", "--filename"},
      paramLabel = "FILE",
      required = true,
      description = "a manifest file, - for standard input; repeatable")
  List<String> files;

  @Mixin Output.Option output;

  @Spec CommandSpec spec;

  ValidateCommand(Reader stdin) {
    this.stdin = stdin;
  }

  @Override
  public Integer call() {
    ObjectNode report = Output.object();
    ArrayNode checked = report.putArray("files");
    boolean valid = true;
    for (String file : files) {
      ObjectNode entry = checked.addObject().put("file", file);
      valid &= check(file, entry);
    }
    Output format = output.format;
    if (format == Output.HUMAN) {
      describe(report);
    } else {
      spec.commandLine().getOut().print(format.report(report, r -> ""));
    }
    return valid ? LiveMigrationCli.OK : LiveMigrationCli.BAD_INPUT;
  }

  /** Reads one file into its entry of the report; returns whether it is valid. */
  private boolean check(String file, ObjectNode entry) {
    ArrayNode objects = entry.putArray("objects");
    ArrayNode problems = entry.putArray("problems");
    ArrayNode warnings = entry.putArray("warnings");
    try {
      ManifestResult<List<Object>> read =
          file.equals("-")
              ? Manifests.readAllWithWarnings(stdin)
              : Manifests.readAllWithWarnings(Path.of(file));
      List<Object> values = read.value();
      addWarnings(warnings, read.warnings());
      for (Object value : values) {
        JsonNode tree = Output.tree(value);
        objects
            .addObject()
            .put("kind", tree.path("kind").asText())
            .put("namespace", tree.path("metadata").path("namespace").asText(null))
            .put("name", tree.path("metadata").path("name").asText());
      }
      if (values.isEmpty()) {
        problems
            .addObject()
            .put("path", "")
            .putNull("value")
            .put("message", "the file holds no document but it must hold at least one");
      }
    } catch (ManifestException e) {
      addWarnings(warnings, e.warnings());
      for (ManifestException.Problem problem : e.problems()) {
        problems
            .addObject()
            .put("path", problem.path())
            .put("value", problem.value())
            .put("message", problem.message());
      }
    } catch (UncheckedIOException e) {
      problems.addObject().put("path", "").putNull("value").put("message", e.getMessage());
    }
    boolean valid = problems.isEmpty();
    entry.put("valid", valid);
    return valid;
  }

  private static void addWarnings(ArrayNode warnings, List<ManifestWarning> read) {
    for (ManifestWarning warning : read) {
      warnings
          .addObject()
          .put("path", warning.path())
          .put("suggestion", warning.suggestion())
          .put("message", warning.message());
    }
  }

  /** Valid objects on standard output, problems and warnings on standard error, one line each. */
  private void describe(JsonNode report) {
    for (JsonNode entry : report.path("files")) {
      String file = entry.path("file").asText();
      for (JsonNode object : entry.path("objects")) {
        String namespace = object.path("namespace").asText("");
        spec.commandLine()
            .getOut()
            .println(
                file
                    + ": "
                    + object.path("kind").asText()
                    + " "
                    + (namespace.isEmpty() ? "" : namespace + "/")
                    + object.path("name").asText()
                    + " is valid");
      }
      JsonNode warnings = entry.path("warnings");
      if (!warnings.isEmpty()) {
        spec.commandLine()
            .getErr()
            .println(
                file + ": " + warnings.size() + (warnings.size() == 1 ? " warning" : " warnings"));
        warnings.forEach(
            w -> spec.commandLine().getErr().println("  " + w.path("message").asText()));
      }
      JsonNode problems = entry.path("problems");
      if (!problems.isEmpty()) {
        spec.commandLine()
            .getErr()
            .println(
                file + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems"));
        problems.forEach(
            p -> spec.commandLine().getErr().println("  " + p.path("message").asText()));
      }
    }
  }
}
