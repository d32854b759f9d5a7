package dev.livemigration.examples.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livemigration.api.manifest.Manifests;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * How the CLI prints what it has to say: for people ({@code human}, the guide's {@code kubectl
 * describe} form) or for scripts ({@code json}, {@code yaml}).
 *
 * <p>Single values of the model (a {@code MigrationState}, a {@code VirtualMachineInstanceStatus},
 * a {@code VirtualMachineInstanceMigration}) are written by {@link Manifests}, so that {@code
 * Manifests.read} reads them back; the CLI's own reports (a drain, a session's summary, a
 * validation, a sweep) are JSON trees that embed those values in the same form.
 */
enum Output {
  HUMAN,
  JSON,
  YAML;

  private static final ObjectMapper JSON_MAPPER = JsonMapper.builder().build();

  /**
   * Writes a value of the model: {@code human} as the function describes it, {@code json} and
   * {@code yaml} as {@link Manifests} writes it.
   */
  <T> String format(T value, Function<T, String> human) {
    return switch (this) {
      case HUMAN -> human.apply(value);
      case JSON -> Manifests.toJson(value);
      case YAML -> Manifests.toYaml(value);
    };
  }

  /** Writes one of the CLI's own reports; {@code human} describes it for people. */
  String report(ObjectNode report, Function<ObjectNode, String> human) {
    return format(report, human);
  }

  /** Separates two documents of one output stream: {@code ---} in YAML, nothing otherwise. */
  String separator() {
    return this == YAML ? "---\n" : "";
  }

  /** Returns a value of the model as a JSON tree, in the form {@link Manifests} writes it. */
  static JsonNode tree(Object value) {
    try {
      return JSON_MAPPER.readTree(Manifests.toJson(value));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot read back " + value.getClass().getSimpleName(), e);
    }
  }

  /** A new empty report. */
  static ObjectNode object() {
    return JSON_MAPPER.createObjectNode();
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Reads {@code --output}: {@code human}, {@code json} or {@code yaml}, in any case. */
  static final class Converter implements CommandLine.ITypeConverter<Output> {
    @Override
    public Output convert(String value) {
      for (Output output : values()) {
        if (output.toString().equalsIgnoreCase(value)) {
          return output;
        }
      }
      throw new CommandLine.TypeConversionException(
          "must be human, json or yaml, but was '" + value + "'");
    }
  }

  /** The {@code -o, --output} option, for every command that prints a state or a report. */
  static final class Option {
    @CommandLine.Option(
        names = {"-o", "--output"},
        paramLabel = "FORMAT",
        defaultValue = "human",
        converter = Converter.class,
        description = "human, json or yaml (default: ${DEFAULT-VALUE})")
    Output format = HUMAN;
  }
}
