package dev.livemigration.api.manifest;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Thrown when a manifest cannot be read: lists every problem of the document at once.
 *
 * <p>The message starts with a summary such as {@code 2 problems in manifest:} and has one line per
 * problem, for example:
 *
 * <pre>
 * 2 problems in manifest:
 *   spec.configuration.migrations.bandwidthPerMigration was '-1Mi' but it must not be negative
 *   spec.configuration.migrations.parallelMigrationsPerCluster was 'five' but it must be an integer
 * </pre>
 */
public class ManifestException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /**
   * One problem of a manifest.
   *
   * <p>{@code value} and {@code message} are kept printable on one line: control characters, line
   * separators and unpaired surrogates are written as Java escapes (a line break as backslash and
   * {@code n}, an unpaired surrogate as backslash, {@code u} and four hex digits).
   *
   * @param path where the problem is, as dotted keys and list indexes as written in the document
   *     (for example {@code spec.configuration.migrations.bandwidthPerMigration} or {@code
   *     status.conditions[0].type}); empty for a problem of the whole document, such as a syntax
   *     error
   * @param value the offending value as text, strings in single quotes (as in {@code '-1Mi'}); null
   *     when the value is missing or is a map or a list
   * @param message the whole problem as one line a person can act on, naming the path, the value
   *     and the rule, as in {@code spec.vmiName is missing but it is required}
   */
  public record Problem(String path, @Nullable String value, String message)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Checks that path and message are given, and makes value and message printable. */
    public Problem {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(message, "message");
      value = value == null ? null : Problems.printable(value);
      message = Problems.printable(message);
    }

    /** Returns the {@link #message()}. */
    @Override
    public String toString() {
      return message;
    }
  }

  private final List<Problem> problems;
  private final List<ManifestWarning> warnings;

  /**
   * Creates the exception for problems of an unnamed document.
   *
   * @throws IllegalArgumentException if {@code problems} is empty
   */
  public ManifestException(List<Problem> problems) {
    this(null, problems);
  }

  /**
   * Creates the exception for problems of the document read from {@code source}, such as a file
   * name, which the message's summary names.
   *
   * @throws IllegalArgumentException if {@code problems} is empty
   */
  public ManifestException(@Nullable String source, List<Problem> problems) {
    this(source, problems, List.of());
  }

  /**
   * Creates the exception for problems of the document read from {@code source}, with the warnings
   * found beside them (which the message does not list).
   *
   * @throws IllegalArgumentException if {@code problems} is empty
   */
  public ManifestException(
      @Nullable String source, List<Problem> problems, List<ManifestWarning> warnings) {
    super(message(source, List.copyOf(problems)));
    this.problems = List.copyOf(problems);
    this.warnings = List.copyOf(warnings);
  }

  /** The problems, in the order they occur in the document; never empty. */
  public List<Problem> problems() {
    return problems;
  }

  /**
   * The warnings about ignored keys found beside the problems, as {@link
   * Manifests#readWithWarnings(String, Class)} returns them; empty if there are none.
   */
  public List<ManifestWarning> warnings() {
    return warnings;
  }

  private static String message(@Nullable String source, List<Problem> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ManifestException needs at least one problem");
    }
    StringBuilder message = new StringBuilder();
    message.append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
    message.append(" in manifest");
    if (source != null) {
      message.append(' ').append(source);
    }
    message.append(':');
    for (Problem problem : problems) {
      message.append("\n  ").append(problem.message());
    }
    return message.toString();
  }
}
