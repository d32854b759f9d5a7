package dev.livemigration.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livemigration.api.manifest.ManifestException;
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
 * path.
 */
@Command(
    name = "validate",
    description = {
      "Check manifests: VirtualMachineInstanceMigration, KubeVirt, MigrationPolicy,"
          + " VirtualMachineInstance and PersistentVolumeClaim, several documents per file"
          + " (separated by ---). Print every problem with its field path.",
      "Exits 0 if every file is valid, 2 if one has a problem."
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
    try {
      List<Object> values =
          file.equals("-") ? Manifests.readAll(stdin) : Manifests.readAll(Path.of(file));
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

  /** Valid objects on standard output, problems on standard error, one line each. */
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
