package dev.livemigration.api.manifest;

import java.math.BigInteger;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A parsed YAML or JSON document: mappings, sequences and scalars that keep the text they were
 * written with, so that values are judged as written rather than as a YAML library guessed them.
 */
sealed interface Tree permits Tree.Mapping, Tree.Sequence, Tree.Scalar {

  /** The longest value text quoted in a problem before it is cut short. */
  int MAX_QUOTED_LENGTH = 80;

  /** Returns how this node reads in a problem: a quoted or plain value, "a map" or "a list". */
  String describe();

  /** Returns the key as it is matched against field names: without spaces, in lower case. */
  static String normalize(String key) {
    StringBuilder normalized = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (!Character.isWhitespace(c)) {
        normalized.append(c);
      }
    }
    return normalized.toString().toLowerCase(Locale.ROOT);
  }

  /** One key of a mapping, as written, with its value. */
  record Entry(String key, Tree value) {}

  /** A mapping with its entries in document order; keys are unique as written. */
  record Mapping(List<Entry> entries) implements Tree {
    public Mapping {
      entries = List.copyOf(entries);
    }

    /** Returns the entry whose key matches {@code name} when both are normalized. */
    Optional<Entry> entry(String name) {
      String wanted = normalize(name);
      return entries.stream().filter(e -> normalize(e.key()).equals(wanted)).findFirst();
    }

    /** Returns every entry whose key matches {@code name} when both are normalized, in order. */
    List<Entry> entries(String name) {
      String wanted = normalize(name);
      return entries.stream().filter(e -> normalize(e.key()).equals(wanted)).toList();
    }

    @Override
    public String describe() {
      return "a map";
    }
  }

  /** A sequence in document order. */
  record Sequence(List<Tree> items) implements Tree {
    public Sequence {
      items = List.copyOf(items);
    }

    @Override
    public String describe() {
      return "a list";
    }
  }

  /** What a scalar was written as. */
  enum ScalarType {
    STRING,
    INTEGER,
    FLOAT,
    BOOLEAN,
    NULL
  }

  /**
   * A scalar with the text it was written with.
   *
   * @param type what the scalar was written as
   * @param text the scalar's text as written (without quotes)
   * @param integer the value of an {@link ScalarType#INTEGER}, null otherwise
   * @param bool the value of a {@link ScalarType#BOOLEAN}, null otherwise
   */
  record Scalar(ScalarType type, String text, @Nullable BigInteger integer, @Nullable Boolean bool)
      implements Tree {

    /** Returns whether this scalar is null ({@code null}, {@code ~} or nothing at all). */
    boolean isNull() {
      return type == ScalarType.NULL;
    }

    @Override
    public String describe() {
      if (type == ScalarType.NULL) {
        return "null";
      }
      String shown =
          text.length() > MAX_QUOTED_LENGTH
              ? text.substring(0, MAX_QUOTED_LENGTH - 3) + "..."
              : text;
      shown = Problems.printable(shown);
      return type == ScalarType.STRING ? "'" + shown + "'" : shown;
    }
  }

  /** Returns whether {@code node} is absent or null. */
  static boolean isNull(@Nullable Tree node) {
    return node == null || node instanceof Scalar scalar && scalar.isNull();
  }
}
