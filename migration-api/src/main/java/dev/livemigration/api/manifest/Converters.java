package dev.livemigration.api.manifest;

import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.Quantity;
import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/** The conversions of scalars, lists and maps that the manifests need, with their rules. */
final class Converters {
  private static final Pattern QUOTED_INTEGER = Pattern.compile("[-+]?[0-9]+");

  /** The most digits of a quoted integer: longer ones are out of any range, and slow to convert. */
  private static final int MAX_DIGITS = 100;

  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");
  private static final BigInteger INT_MIN = BigInteger.valueOf(Integer.MIN_VALUE);
  private static final BigInteger INT_MAX = BigInteger.valueOf(Integer.MAX_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);
  private static final BigInteger UINT32_MAX = BigInteger.valueOf(4_294_967_295L);
  private static final String TIMESTAMP_RULE =
      "must be an RFC 3339 timestamp such as 2019-03-29T03:37:52Z";
  private static final String QUANTITY_RULE =
      "must be a quantity such as 64Mi or a whole number of bytes";

  private Converters() {}

  /** Any scalar, as the text it was written with (unquoted numbers and booleans too). */
  static Converter<String> string() {
    return (node, path, problems) -> {
      if (node instanceof Tree.Scalar scalar && !scalar.isNull()) {
        return Optional.of(scalar.text());
      }
      problems.invalid(path, node, "must be a string");
      return Optional.empty();
    };
  }

  /** A map, whatever it holds: for the parts of a manifest whose presence alone matters. */
  static Converter<Tree.Mapping> mapping() {
    return (node, path, problems) -> {
      if (node instanceof Tree.Mapping mapping) {
        return Optional.of(mapping);
      }
      problems.invalid(path, node, "must be a map");
      return Optional.empty();
    };
  }

  /** A YAML or JSON boolean; the strings {@code "true"} and {@code "false"} are not booleans. */
  static Converter<Boolean> bool() {
    return (node, path, problems) -> {
      if (node instanceof Tree.Scalar scalar && scalar.bool() != null) {
        return Optional.of(scalar.bool());
      }
      problems.invalid(path, node, "must be a boolean (true or false)");
      return Optional.empty();
    };
  }

  /** An integer, written as a number or as a quoted string of digits. */
  static Converter<BigInteger> integer() {
    return (node, path, problems) -> {
      if (node instanceof Tree.Scalar scalar) {
        if (scalar.integer() != null) {
          return Optional.of(scalar.integer());
        }
        if (scalar.type() == Tree.ScalarType.STRING
            && QUOTED_INTEGER.matcher(scalar.text()).matches()) {
          if (scalar.text().length() > MAX_DIGITS + 1) {
            problems.invalid(path, node, "must be an integer of at most " + MAX_DIGITS + " digits");
            return Optional.empty();
          }
          return Optional.of(new BigInteger(scalar.text()));
        }
      }
      problems.invalid(path, node, "must be an integer");
      return Optional.empty();
    };
  }

  /** An integer that fits in an {@code int}. */
  static Converter<Integer> int32() {
    return (node, path, problems) ->
        integer()
            .convert(node, path, problems)
            .flatMap(
                value -> {
                  if (value.compareTo(INT_MAX) > 0) {
                    problems.invalid(path, node, "must be at most " + Integer.MAX_VALUE);
                    return Optional.empty();
                  }
                  if (value.compareTo(INT_MIN) < 0) {
                    problems.invalid(path, node, "must be at least " + Integer.MIN_VALUE);
                    return Optional.empty();
                  }
                  return Optional.of(value.intValueExact());
                });
  }

  /**
   * An integer held in a {@code long}, for fields whose range the model checks: one beyond the
   * range of a {@code long} (such as a {@code uint64} near 2^64) is given as {@link Long#MAX_VALUE}
   * or {@link Long#MIN_VALUE}, so that the model's rule reports it, with the value as written.
   */
  static Converter<Long> int64() {
    return (node, path, problems) ->
        integer()
            .convert(node, path, problems)
            .map(
                value ->
                    value.compareTo(LONG_MAX) > 0
                        ? Long.MAX_VALUE
                        : value.compareTo(LONG_MAX.negate()) < 0
                            ? Long.MIN_VALUE
                            : value.longValueExact());
  }

  /**
   * A count KubeVirt types as {@code uint32}: between 0 and 4294967295, given as a {@code long}.
   */
  static Converter<Long> uint32() {
    return (node, path, problems) ->
        integer()
            .convert(node, path, problems)
            .flatMap(
                value -> {
                  if (value.signum() < 0 || value.compareTo(UINT32_MAX) > 0) {
                    problems.invalid(path, node, "must be between 0 and " + UINT32_MAX);
                    return Optional.empty();
                  }
                  return Optional.of(value.longValueExact());
                });
  }

  /**
   * A count KubeVirt types as {@code uint32} that the model holds in an {@code int}: up to
   * 4294967295 is read, and a count above 2147483647 is read as 2147483647 with a warning (no
   * cluster runs that many migrations at once, so the limit is the same).
   */
  static Converter<Integer> uint32Count() {
    return (node, path, problems) ->
        uint32()
            .convert(node, path, problems)
            .map(
                value -> {
                  if (value > Integer.MAX_VALUE) {
                    problems.warn(
                        new ManifestWarning(
                            path,
                            null,
                            path
                                + " was "
                                + value
                                + " and is read as "
                                + Integer.MAX_VALUE
                                + ", the largest count this library holds"));
                    return Integer.MAX_VALUE;
                  }
                  return value.intValue();
                });
  }

  /** A whole number of seconds, written as an integer (quoted or not). */
  static Converter<Duration> seconds() {
    return (node, path, problems) ->
        integer()
            .convert(node, path, problems)
            .flatMap(
                value -> {
                  if (value.abs().compareTo(LONG_MAX) > 0) {
                    problems.invalid(
                        path, node, "must be a number of seconds up to " + Long.MAX_VALUE);
                    return Optional.empty();
                  }
                  return Optional.of(Duration.ofSeconds(value.longValueExact()));
                });
  }

  /** A quantity string such as {@code 64Mi}, or a non-negative integer number of bytes. */
  static Converter<Quantity> quantity() {
    return (node, path, problems) -> {
      if (!(node instanceof Tree.Scalar scalar) || scalar.bool() != null) {
        problems.invalid(path, node, QUANTITY_RULE);
        return Optional.empty();
      }
      if (scalar.integer() != null && scalar.integer().signum() < 0) {
        problems.invalid(path, node, "must not be negative");
        return Optional.empty();
      }
      String text = scalar.integer() != null ? scalar.integer().toString() : scalar.text();
      try {
        return Optional.of(Quantity.parse(text));
      } catch (InvalidValueException e) {
        problems.invalid(path, node, e.rule());
        return Optional.empty();
      }
    };
  }

  /** An RFC 3339 timestamp such as {@code 2019-03-29T03:37:52Z}, with any offset. */
  static Converter<Instant> timestamp() {
    return (node, path, problems) -> {
      if (node instanceof Tree.Scalar scalar && scalar.type() == Tree.ScalarType.STRING) {
        try {
          return Optional.of(
              OffsetDateTime.parse(scalar.text(), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                  .toInstant());
        } catch (DateTimeException e) {
          // reported below
        }
      }
      problems.invalid(path, node, TIMESTAMP_RULE);
      return Optional.empty();
    };
  }

  /** A constant of {@code type}, written by its PascalCase wire name such as {@code PreCopy}. */
  static <E extends Enum<E>> Converter<E> enumeration(Class<E> type) {
    return enumeration(java.util.EnumSet.allOf(type));
  }

  /** One of {@code allowed}, written by its PascalCase wire name; the others are refused. */
  static <E extends Enum<E>> Converter<E> enumeration(java.util.Set<E> allowed) {
    String names =
        allowed.stream()
            .sorted()
            .map(EnumNames::toWire)
            .collect(java.util.stream.Collectors.joining(", "));
    return (node, path, problems) -> {
      if (node instanceof Tree.Scalar scalar && !scalar.isNull()) {
        Optional<E> constant =
            allowed.stream()
                .filter(e -> e.name().equals(EnumNames.toConstantName(scalar.text())))
                .findFirst();
        if (constant.isPresent()) {
          return constant;
        }
      }
      problems.invalid(path, node, "must be one of " + names);
      return Optional.empty();
    };
  }

  /**
   * A list whose items {@code item} converts; a problem for each bad item, and empty if there was
   * any.
   */
  static <V> Converter<List<V>> list(Converter<V> item) {
    return (node, path, problems) -> {
      if (!(node instanceof Tree.Sequence sequence)) {
        problems.invalid(path, node, "must be a list");
        return Optional.empty();
      }
      int before = problems.count();
      List<V> values = new ArrayList<>();
      for (int i = 0; i < sequence.items().size(); i++) {
        Tree child = sequence.items().get(i);
        String childPath = Problems.index(path, i);
        if (Tree.isNull(child)) {
          problems.invalid(childPath, child, "must not be null");
        } else {
          item.convert(child, childPath, problems).ifPresent(values::add);
        }
      }
      return problems.count() == before ? Optional.of(values) : Optional.empty();
    };
  }

  /**
   * A map of strings to strings (such as labels); scalars are taken as their text. {@code check}
   * probes each entry against the model and throws {@link InvalidValueException} for a bad one;
   * {@code modelField} is the name the model gives the map in its exceptions.
   */
  static Converter<Map<String, String>> stringMap(
      String modelField, BiConsumer<String, String> check) {
    return (node, path, problems) -> {
      if (!(node instanceof Tree.Mapping mapping)) {
        problems.invalid(path, node, "must be a map of strings");
        return Optional.empty();
      }
      int before = problems.count();
      Map<String, String> values = new LinkedHashMap<>();
      for (Tree.Entry entry : mapping.entries()) {
        String entryPath = Problems.index(path, entry.key());
        string()
            .convert(entry.value(), entryPath, problems)
            .ifPresent(
                value -> {
                  if (probe(() -> check.accept(entry.key(), value), path, modelField, problems)) {
                    values.put(entry.key(), value);
                  }
                });
      }
      return problems.count() == before ? Optional.of(values) : Optional.empty();
    };
  }

  /**
   * A map of port numbers to port numbers, keys written as strings. {@code check} probes each entry
   * against the model; {@code modelField} is the name the model gives the map.
   */
  static Converter<Map<Integer, Integer>> portMap(
      String modelField, BiConsumer<Integer, Integer> check) {
    return (node, path, problems) -> {
      if (!(node instanceof Tree.Mapping mapping)) {
        problems.invalid(path, node, "must be a map of port numbers to port numbers");
        return Optional.empty();
      }
      int before = problems.count();
      Map<Integer, Integer> values = new LinkedHashMap<>();
      Map<Integer, String> keys = new LinkedHashMap<>();
      for (Tree.Entry entry : mapping.entries()) {
        String entryPath = Problems.index(path, entry.key());
        if (!PORT.matcher(entry.key()).matches()) {
          problems.invalid(path + " key", "'" + entry.key() + "'", "must be a port number");
          continue;
        }
        int port = Integer.parseInt(entry.key());
        String first = keys.putIfAbsent(port, entry.key());
        if (first != null) {
          problems.duplicate(entryPath, first);
          continue;
        }
        if (Tree.isNull(entry.value())) {
          problems.invalid(entryPath, entry.value(), "must be an integer");
          continue;
        }
        int32()
            .convert(entry.value(), entryPath, problems)
            .ifPresent(
                value -> {
                  if (probe(() -> check.accept(port, value), path, modelField, problems)) {
                    values.put(port, value);
                  }
                });
      }
      return problems.count() == before ? Optional.of(values) : Optional.empty();
    };
  }

  /**
   * Wraps {@code converter} so that each value it gives is probed with {@code check}, which throws
   * {@link InvalidValueException} for a value the model rejects.
   */
  static <V> Converter<V> checked(Converter<V> converter, Consumer<V> check) {
    return (node, path, problems) ->
        converter
            .convert(node, path, problems)
            .filter(
                value -> {
                  try {
                    check.accept(value);
                    return true;
                  } catch (InvalidValueException e) {
                    problems.invalid(path, node, e.rule());
                    return false;
                  }
                });
  }

  /**
   * Runs a probe of a map entry; on {@link InvalidValueException} records the problem at the path
   * the model's field name maps to: {@code namespaceSelector[app]} becomes {@code <path>[app]},
   * {@code namespaceSelector key} becomes {@code <path> key}.
   */
  private static boolean probe(Runnable probe, String path, String modelField, Problems problems) {
    try {
      probe.run();
      return true;
    } catch (InvalidValueException e) {
      String field = e.field();
      String suffix = field.startsWith(modelField) ? field.substring(modelField.length()) : "";
      problems.invalid(path + suffix, e.value(), e.rule());
      return false;
    }
  }
}
