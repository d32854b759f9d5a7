package dev.livemigration.api.manifest;

import dev.livemigration.api.manifest.ManifestException.Problem;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** Collects the problems of one document, phrased the same way everywhere. */
final class Problems {
  /** The most problems listed for one document; a hostile one could otherwise have millions. */
  static final int MAX_LISTED = 100;

  private final List<Problem> problems = new ArrayList<>();
  private final List<ManifestWarning> warnings = new ArrayList<>();
  private int unlisted;

  /** Returns how many problems were found so far, listed or not. */
  int count() {
    return problems.size() + unlisted;
  }

  /**
   * Returns the problems found so far; past {@link #MAX_LISTED}, a last problem says how many more
   * there were.
   */
  List<Problem> list() {
    if (unlisted == 0) {
      return List.copyOf(problems);
    }
    List<Problem> listed = new ArrayList<>(problems);
    listed.add(new Problem("", null, "and " + unlisted + " more problems"));
    return List.copyOf(listed);
  }

  /** Returns the warnings found so far, at most {@link #MAX_LISTED}. */
  List<ManifestWarning> warnings() {
    return List.copyOf(warnings);
  }

  /** Adds a warning, unless the same warning was added already or {@link #MAX_LISTED} were. */
  void warn(ManifestWarning warning) {
    if (warnings.size() < MAX_LISTED && !warnings.contains(warning)) {
      warnings.add(warning);
    }
  }

  /** Adds a problem, unless the same problem was added already. */
  void add(Problem problem) {
    if (problems.contains(problem)) {
      return;
    }
    if (problems.size() < MAX_LISTED) {
      problems.add(problem);
    } else {
      unlisted++;
    }
  }

  /** Adds a value that breaks a rule: {@code path was 'value' but it must ...}. */
  void invalid(String path, Tree node, String rule) {
    String value = node instanceof Tree.Scalar ? node.describe() : null;
    add(new Problem(path, value, label(path) + " was " + node.describe() + " but it " + rule));
  }

  /** Adds a value, given as text, that breaks a rule. */
  void invalid(String path, String shownValue, String rule) {
    add(new Problem(path, shownValue, label(path) + " was " + shownValue + " but it " + rule));
  }

  /** Adds a required field that is missing. */
  void missing(String path, @Nullable String hint) {
    add(
        new Problem(
            path,
            null,
            label(path) + " is missing but it is required" + (hint == null ? "" : "; " + hint)));
  }

  /** Adds a key that is not a field of the object. */
  void unknown(String path, Collection<String> known) {
    add(
        new Problem(
            path,
            null,
            label(path) + " is not a known field; known fields are " + String.join(", ", known)));
  }

  /** Adds a field given more than once (with keys that differ only in spaces or case). */
  void duplicate(String path, String firstKey) {
    add(
        new Problem(
            path, null, label(path) + " is given more than once (first as '" + firstKey + "')"));
  }

  /** Adds a problem of the whole document. */
  void document(String message) {
    add(new Problem("", null, message));
  }

  /** Returns the path of a child key. */
  static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Returns the path of a list item or map entry. */
  static String index(String path, Object index) {
    return path + "[" + index + "]";
  }

  /**
   * Returns {@code text} as one printable line: line breaks, tabs, other control characters, line
   * and paragraph separators and unpaired surrogates are written as Java escapes.
   */
  static String printable(String text) {
    StringBuilder escaped = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      String escape = escape(text, i, c);
      if (escape != null && escaped == null) {
        escaped = new StringBuilder(text.length() + 8).append(text, 0, i);
      }
      if (escaped != null) {
        if (escape != null) {
          escaped.append(escape);
        } else {
          escaped.append(c);
        }
      }
    }
    return escaped == null ? text : escaped.toString();
  }

  private static @Nullable String escape(String text, int i, char c) {
    switch (c) {
      case '\n':
        return "\\n";
      case '\t':
        return "\\t";
      case '\r':
        return "\\r";
      default:
        break;
    }
    boolean unpaired =
        Character.isHighSurrogate(c)
                && (i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(i + 1)))
            || Character.isLowSurrogate(c)
                && (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1)));
    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || unpaired) {
      return String.format(Locale.ROOT, "\\u%04x", (int) c);
    }
    return null;
  }

  private static String label(String path) {
    return path.isEmpty() ? "the document" : path;
  }
}
