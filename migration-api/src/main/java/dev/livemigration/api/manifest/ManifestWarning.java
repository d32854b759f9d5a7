package dev.livemigration.api.manifest;

import java.io.Serializable;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A key of a manifest that is ignored because it is not a known field where it is, as {@code
 * kubectl} warns about unknown fields: most often a misspelt or misplaced section, which would
 * otherwise leave its settings at their defaults without a word.
 *
 * <p>The fields of KubeVirt's resources that this library does not model (such as {@code
 * spec.infra} of a {@code KubeVirt} CR) are known and draw no warning.
 *
 * @param path where the key is, as dotted keys and list indexes as written in the document, for
 *     example {@code spec.configuration.migration}
 * @param suggestion the path of the known field that was most likely meant, as in {@code
 *     spec.configuration.migrations}; null if none is near
 * @param message the warning as one line, naming the path and the suggestion, as in {@code
 *     spec.configuration.migration is not a known field and is ignored; did you mean
 *     spec.configuration.migrations?}
 */
public record ManifestWarning(String path, @Nullable String suggestion, String message)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Checks that path and message are given, and makes the message printable on one line. */
  public ManifestWarning {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(message, "message");
    message = Problems.printable(message);
  }

  /** Returns the {@link #message()}. */
  @Override
  public String toString() {
    return message;
  }
}
