package dev.livemigration.api.manifest;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import dev.livemigration.api.manifest.ManifestException.Problem;
import dev.livemigration.api.manifest.TreeParser.Document;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Reads and writes KubeVirt's live-migration manifests, in YAML or JSON.
 *
 * <p>{@link #read(String)} returns the value for the document's {@code kind}: a {@link
 * VirtualMachineInstanceMigration} ({@code kubevirt.io/v1}), a {@link KubeVirt} CR ({@code
 * kubevirt.io/v1}, kind {@code KubeVirt} or {@code Kubevirt}) or a {@link MigrationPolicy} ({@code
 * migrations.kubevirt.io/v1alpha1}). {@link #read(String, Class)} also reads a VMI's {@link
 * VirtualMachineInstanceStatus} or {@link MigrationState}, in camelCase or as {@code kubectl
 * describe} prints them ({@code Migration UID: ...}), and a bare {@link MigrationConfiguration}.
 * Keys are matched ignoring spaces and case. A text whose first character is <code>{</code> or
 * {@code [} is read as JSON, any other as YAML.
 *
 * <p>A document with problems is rejected with a {@link ManifestException} that lists all of them.
 * Hostile input is refused: documents longer than 10 MiB, YAML lines longer than 64 KiB, nesting
 * deeper than 64 levels and YAML aliases.
 *
 * <p>{@link #toYaml(Object)} and {@link #toJson(Object)} write these values back in KubeVirt's
 * camelCase form, which {@code read} reads to an equal value.
 *
 * <pre>{@code
 * KubeVirt kubeVirt = Manifests.read(Path.of("kubevirt.yaml"), KubeVirt.class);
 * MigrationConfiguration cluster = kubeVirt.migrations();
 * String yaml = Manifests.toYaml(VirtualMachineInstanceMigration.of("job", "vmi-fedora"));
 * }</pre>
 */
public final class Manifests {
  private Manifests() {}

  /**
   * Reads one document and returns the value for its {@code kind}.
   *
   * @throws ManifestException if the text is not one well-formed manifest of a supported kind,
   *     listing every problem
   */
  public static Object read(String text) {
    return read(text, Object.class);
  }

  /**
   * Reads one document as a {@code type}: {@link VirtualMachineInstanceMigration}, {@link
   * KubeVirt}, {@link MigrationPolicy} (checked against the document's {@code kind}), {@link
   * MigrationState}, {@link VirtualMachineInstanceStatus} or {@link MigrationConfiguration} (which
   * have no kind; an enclosing {@code migrationState:}, {@code status:} or {@code migrations:} key
   * is optional), or {@code Object} for any kind. A status's fields other than {@code conditions},
   * {@code migrationMethod} and {@code migrationState} are ignored, as are the fields of a {@code
   * KubeVirt} CR outside its feature gates and migration settings.
   *
   * @throws ManifestException if the text is not one well-formed {@code type}, listing every
   *     problem
   * @throws IllegalArgumentException if {@code type} is not one of the supported types
   */
  public static <T> T read(String text, Class<T> type) {
    Objects.requireNonNull(text, "text");
    return readOne(text, type, null);
  }

  /**
   * Reads one document from a UTF-8 file and returns the value for its {@code kind}.
   *
   * @throws ManifestException if the file is not one well-formed manifest; its message names the
   *     file
   * @throws UncheckedIOException if the file cannot be read; its message names the file
   */
  public static Object read(Path file) {
    return read(file, Object.class);
  }

  /**
   * Reads one document from a UTF-8 file as a {@code type}; see {@link #read(String, Class)}.
   *
   * @throws ManifestException if the file is not one well-formed {@code type}; its message names
   *     the file
   * @throws UncheckedIOException if the file cannot be read; its message names the file
   * @throws IllegalArgumentException if {@code type} is not one of the supported types
   */
  public static <T> T read(Path file, Class<T> type) {
    checkSupported(type);
    return readOne(readFile(file), type, file.toString());
  }

  /**
   * Reads one document from {@code reader}, which is read to its end but not closed, and returns
   * the value for its {@code kind}.
   *
   * @throws ManifestException if the text is not one well-formed manifest
   * @throws UncheckedIOException if the reader fails
   */
  public static Object read(Reader reader) {
    return read(reader, Object.class);
  }

  /**
   * Reads one document from {@code reader}, which is read to its end but not closed, as a {@code
   * type}; see {@link #read(String, Class)}.
   *
   * @throws ManifestException if the text is not one well-formed {@code type}
   * @throws UncheckedIOException if the reader fails
   * @throws IllegalArgumentException if {@code type} is not one of the supported types
   */
  public static <T> T read(Reader reader, Class<T> type) {
    checkSupported(type);
    return readOne(readFully(reader), type, null);
  }

  /**
   * Reads every document of a multi-document YAML text (documents separated by {@code ---}; empty
   * documents are skipped) and returns their values in order.
   *
   * @throws ManifestException if any document has problems; each problem's message starts with its
   *     document's number, as in {@code document 2: spec.vmiName is missing but it is required}
   */
  public static List<Object> readAll(String text) {
    Objects.requireNonNull(text, "text");
    return readAll(text, null);
  }

  /**
   * Reads every document of a UTF-8 file; see {@link #readAll(String)}.
   *
   * @throws ManifestException if any document has problems; its message names the file
   * @throws UncheckedIOException if the file cannot be read; its message names the file
   */
  public static List<Object> readAll(Path file) {
    return readAll(readFile(file), file.toString());
  }

  /**
   * Reads every document from {@code reader}, which is read to its end but not closed; see {@link
   * #readAll(String)}.
   *
   * @throws ManifestException if any document has problems
   * @throws UncheckedIOException if the reader fails
   */
  public static List<Object> readAll(Reader reader) {
    return readAll(readFully(reader), null);
  }

  /**
   * Returns {@code value} as a YAML manifest in KubeVirt's camelCase form: {@code apiVersion},
   * {@code kind}, {@code metadata} and {@code spec} for a {@link VirtualMachineInstanceMigration},
   * {@link KubeVirt} (with every migration setting) or {@link MigrationPolicy}; the camelCase
   * fields of a {@link MigrationState}, {@link VirtualMachineInstanceStatus} or {@link
   * MigrationConfiguration}.
   *
   * @throws IllegalArgumentException if {@code value} is of another type
   */
  public static String toYaml(Object value) {
    return ManifestWriter.yaml(value);
  }

  /**
   * Returns {@code value} as an indented JSON manifest; the same form as {@link #toYaml(Object)}.
   *
   * @throws IllegalArgumentException if {@code value} is of another type
   */
  public static String toJson(Object value) {
    return ManifestWriter.json(value);
  }

  private static <T> T readOne(String text, Class<T> type, @Nullable String source) {
    checkSupported(type);
    List<Document> documents = nonEmpty(TreeParser.parse(text, source));
    if (documents.isEmpty()) {
      throw new ManifestException(
          source,
          List.of(new Problem("", null, "the manifest is empty but it must hold one document")));
    }
    if (documents.size() > 1) {
      throw new ManifestException(
          source,
          List.of(
              new Problem(
                  "",
                  null,
                  "the manifest has "
                      + documents.size()
                      + " documents but it must have one; use readAll to read several")));
    }
    Problems problems = new Problems();
    Object value = interpret(documents.get(0), type, problems);
    if (problems.count() > 0) {
      throw new ManifestException(source, problems.list());
    }
    return type.cast(value);
  }

  private static List<Object> readAll(String text, @Nullable String source) {
    List<Document> documents = TreeParser.parse(text, source);
    List<Object> values = new ArrayList<>();
    Problems problems = new Problems();
    for (int i = 0; i < documents.size(); i++) {
      Document document = documents.get(i);
      if (isEmpty(document)) {
        continue;
      }
      Problems found = new Problems();
      Object value = interpret(document, Object.class, found);
      String prefix = "document " + (i + 1) + ": ";
      found.list().stream()
          .map(p -> new Problem(p.path(), p.value(), prefix + p.message()))
          .forEach(problems::add);
      if (found.count() == 0) {
        values.add(value);
      }
    }
    if (problems.count() > 0) {
      throw new ManifestException(source, problems.list());
    }
    return List.copyOf(values);
  }

  /** Reads the document as a {@code type}; returns null if problems were recorded. */
  private static @Nullable Object interpret(Document document, Class<?> type, Problems problems) {
    document.problems().forEach(problems::add);
    Optional<Object> value = ManifestReader.read(document.root(), type, problems);
    if (value.isEmpty() && problems.count() == 0) {
      problems.document("the manifest could not be read as a " + type.getSimpleName());
    }
    return value.orElse(null);
  }

  private static List<Document> nonEmpty(List<Document> documents) {
    return documents.stream().filter(d -> !isEmpty(d)).collect(Collectors.toList());
  }

  private static boolean isEmpty(Document document) {
    return Tree.isNull(document.root()) && document.problems().isEmpty();
  }

  private static void checkSupported(Class<?> type) {
    Objects.requireNonNull(type, "type");
    if (type != Object.class && !ManifestReader.TYPES.contains(type)) {
      throw new IllegalArgumentException(
          "cannot read a "
              + type.getName()
              + "; supported types are Object, "
              + ManifestReader.TYPES.stream()
                  .map(Class::getSimpleName)
                  .collect(Collectors.joining(", ")));
    }
  }

  private static String readFile(Path file) {
    Objects.requireNonNull(file, "file");
    try {
      long size = Files.size(file);
      if (size > TreeParser.MAX_CHARS) {
        throw TreeParser.tooLong(size + " bytes", file.toString());
      }
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read manifest " + file + ": " + describe(e, file), e);
    }
  }

  private static String describe(IOException e, Path file) {
    String message = e.getMessage();
    String kind = e.getClass().getSimpleName();
    return message == null || message.equals(file.toString()) ? kind : kind + ": " + message;
  }

  private static String readFully(Reader reader) {
    Objects.requireNonNull(reader, "reader");
    StringBuilder text = new StringBuilder();
    char[] buffer = new char[8192];
    try {
      for (int n = reader.read(buffer); n != -1; n = reader.read(buffer)) {
        text.append(buffer, 0, n);
        if (text.length() > TreeParser.MAX_CHARS) {
          throw TreeParser.tooLong("more than " + TreeParser.MAX_CHARS + " characters", null);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read manifest: " + e.getMessage(), e);
    }
    return text.toString();
  }
}
