package dev.livemigration.api.manifest;

import dev.livemigration.api.InvalidValueException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The fields of one map of a manifest (such as {@code spec} or {@code metadata}) and how each is
 * set on a builder of type {@code B}.
 *
 * <p>Each field's value is checked on its own by building a probe value with just that field set,
 * so that every broken rule is reported at once and the rules stay in the model. A strict section
 * reports keys it does not know; a lenient one ignores them, as for {@code metadata}.
 *
 * @param <B> the builder the fields are set on
 */
final class Section<B> {
  /** A field: its name, the other names it may be written with, its converter and its setter. */
  private record Field<B, V>(
      String name, List<String> aliases, Converter<V> converter, BiConsumer<B, V> setter) {

    Optional<Bound<B>> read(Tree node, String path, Problems problems) {
      return converter
          .convert(node, path, problems)
          .map(value -> new Bound<>(name, path, node, value, b -> setter.accept(b, value)));
    }
  }

  /**
   * A value read for a field, ready to be set on a builder.
   *
   * @param name the field's name
   * @param path where the value is in the document
   * @param node the value as written
   * @param value the converted value
   * @param setter sets the value on a builder
   */
  record Bound<B>(String name, String path, Tree node, Object value, Consumer<B> setter) {}

  private final Supplier<B> probeBuilder;
  private final Function<B, ?> build;
  private final boolean strict;
  private final List<Field<B, ?>> fields = new ArrayList<>();
  private final Map<String, Field<B, ?>> byName = new LinkedHashMap<>();
  private final Map<String, @Nullable String> required = new HashMap<>();
  private final Set<String> ignored = new HashSet<>();
  private final Map<String, String> warned = new HashMap<>();
  private final Map<String, String> refused = new HashMap<>();

  private Section(Supplier<B> probeBuilder, Function<B, ?> build, boolean strict) {
    this.probeBuilder = probeBuilder;
    this.build = build;
    this.strict = strict;
  }

  /**
   * Returns a section that reports unknown keys. {@code probeBuilder} returns a builder with every
   * required field set to a valid placeholder; {@code build} builds it.
   */
  static <B> Section<B> strict(Supplier<B> probeBuilder, Function<B, ?> build) {
    return new Section<>(probeBuilder, build, true);
  }

  /** Returns a section that ignores unknown keys. */
  static <B> Section<B> lenient(Supplier<B> probeBuilder, Function<B, ?> build) {
    return new Section<>(probeBuilder, build, false);
  }

  /** Adds an optional field. */
  <V> Section<B> field(String name, Converter<V> converter, BiConsumer<B, V> setter) {
    return add(new Field<>(name, List.of(), converter, setter));
  }

  /** Adds an optional field that may also be written under the other names {@code aliases}. */
  <V> Section<B> field(
      String name, List<String> aliases, Converter<V> converter, BiConsumer<B, V> setter) {
    return add(new Field<>(name, aliases, converter, setter));
  }

  /** Adds a required field. */
  <V> Section<B> required(String name, Converter<V> converter, BiConsumer<B, V> setter) {
    required.put(name, null);
    return field(name, converter, setter);
  }

  /**
   * Adds a required field whose problem when missing ends with {@code hint}, which says what its
   * absence means.
   */
  <V> Section<B> required(
      String name, String hint, Converter<V> converter, BiConsumer<B, V> setter) {
    required.put(name, hint);
    return field(name, converter, setter);
  }

  /** Accepts and ignores these keys in a strict section (real fields the model does not have). */
  Section<B> ignore(String... names) {
    for (String name : names) {
      ignored.add(Tree.normalize(name));
    }
    return this;
  }

  /**
   * Accepts these keys in a strict or lenient section and reports each as a {@link ManifestWarning}
   * that it is ignored, {@code because} saying why (as in {@code it only means something to
   * Kubernetes}).
   */
  Section<B> warnIgnored(String because, String... names) {
    for (String name : names) {
      warned.put(Tree.normalize(name), because);
    }
    return this;
  }

  /**
   * Refuses these keys as a problem whose rule is {@code rule} (as in {@code is not supported: …}),
   * rather than as unknown keys.
   */
  Section<B> refuse(String rule, String... names) {
    for (String name : names) {
      refused.put(Tree.normalize(name), rule);
    }
    return this;
  }

  private Section<B> add(Field<B, ?> field) {
    fields.add(field);
    byName.put(Tree.normalize(field.name()), field);
    field.aliases().forEach(alias -> byName.put(Tree.normalize(alias), field));
    return this;
  }

  /** Returns the names of the fields, in order. */
  List<String> names() {
    return fields.stream().map(Field::name).toList();
  }

  /** Returns whether {@code key} is one of the fields (or their other names) or an ignored key. */
  boolean knows(String key) {
    String normalized = Tree.normalize(key);
    return byName.containsKey(normalized)
        || ignored.contains(normalized)
        || warned.containsKey(normalized)
        || refused.containsKey(normalized);
  }

  /**
   * Reads the fields of {@code mapping} (empty when the map is absent) at {@code path}: records a
   * problem for each bad value, unknown key (if strict) and missing required field, and returns the
   * good values by field name.
   */
  Map<String, Bound<B>> read(Tree.Mapping mapping, String path, Problems problems) {
    Map<String, Bound<B>> values = new LinkedHashMap<>();
    Map<String, String> keys = new LinkedHashMap<>();
    Set<String> given = new HashSet<>();
    for (Tree.Entry entry : mapping.entries()) {
      String keyPath = Problems.child(path, entry.key());
      Field<B, ?> field = byName.get(Tree.normalize(entry.key()));
      String because = warned.get(Tree.normalize(entry.key()));
      if (field == null && because != null) {
        problems.warn(
            new ManifestWarning(keyPath, null, keyPath + " is read but ignored: " + because));
        continue;
      }
      String refusal = refused.get(Tree.normalize(entry.key()));
      if (field == null && refusal != null) {
        if (!Tree.isNull(entry.value())) {
          problems.add(new ManifestException.Problem(keyPath, null, keyPath + " " + refusal));
        }
        continue;
      }
      if (field == null) {
        if (strict && !ignored.contains(Tree.normalize(entry.key()))) {
          problems.unknown(keyPath, names());
        }
        continue;
      }
      String firstKey = keys.putIfAbsent(field.name(), entry.key());
      if (firstKey != null) {
        problems.duplicate(keyPath, firstKey);
        continue;
      }
      if (Tree.isNull(entry.value())) {
        continue;
      }
      given.add(field.name());
      field
          .read(entry.value(), keyPath, problems)
          .filter(bound -> probe(bound, problems))
          .ifPresent(bound -> values.put(bound.name(), bound));
    }
    for (Field<B, ?> field : fields) {
      if (required.containsKey(field.name()) && !given.contains(field.name())) {
        problems.missing(Problems.child(path, field.name()), required.get(field.name()));
      }
    }
    return values;
  }

  private boolean probe(Bound<B> bound, Problems problems) {
    B builder = probeBuilder.get();
    bound.setter().accept(builder);
    try {
      build.apply(builder);
      return true;
    } catch (InvalidValueException e) {
      problems.invalid(bound.path(), bound.node(), e.rule());
      return false;
    } catch (IllegalArgumentException | IllegalStateException e) {
      problems.invalid(bound.path(), bound.node(), "is not valid: " + e.getMessage());
      return false;
    }
  }

  /**
   * Sets {@code values} on {@code builder} and builds it, unless problems were recorded since
   * {@code problemsBefore}; a rule broken by the whole value is recorded at the path of the field
   * the model names.
   */
  static <B, T> Optional<T> build(
      B builder,
      Function<B, T> build,
      Collection<Bound<B>> values,
      String path,
      Problems problems,
      int problemsBefore) {
    if (problems.count() > problemsBefore) {
      return Optional.empty();
    }
    values.forEach(value -> value.setter().accept(builder));
    try {
      return Optional.of(build.apply(builder));
    } catch (InvalidValueException e) {
      Optional<Bound<B>> culprit =
          values.stream()
              .filter(v -> e.field().equals(v.name()) || e.field().endsWith("." + v.name()))
              .findFirst();
      if (culprit.isPresent()) {
        problems.invalid(culprit.get().path(), culprit.get().node(), e.rule());
      } else {
        problems.invalid(Problems.child(path, e.field()), e.value(), e.rule());
      }
      return Optional.empty();
    } catch (IllegalArgumentException | IllegalStateException e) {
      problems.add(
          new ManifestException.Problem(
              path,
              null,
              (path.isEmpty() ? "the document" : path) + " is not valid: " + e.getMessage()));
      return Optional.empty();
    }
  }
}
