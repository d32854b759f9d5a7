package dev.livemigration.api.manifest;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Converts enum constants to and from KubeVirt's wire names: {@code PREPARING_TARGET} is written
 * {@code PreparingTarget}, {@code TRUE} is written {@code True}. One rule for every enum, no
 * tables.
 */
final class EnumNames {
  private EnumNames() {}

  /**
   * Returns the PascalCase wire name of a constant: {@code BLOCK_MIGRATION} → {@code
   * BlockMigration}.
   */
  static String toWire(Enum<?> constant) {
    StringBuilder wire = new StringBuilder();
    for (String word : constant.name().split("_")) {
      if (!word.isEmpty()) {
        wire.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
      }
    }
    return wire.toString();
  }

  /**
   * Returns the UPPER_SNAKE constant name of a wire name: {@code PostCopy} → {@code POST_COPY};
   * names already in UPPER_SNAKE stay as they are.
   */
  static String toConstantName(String wire) {
    StringBuilder constant = new StringBuilder(wire.length() + 4);
    for (int i = 0; i < wire.length(); i++) {
      char c = wire.charAt(i);
      if (i > 0 && Character.isUpperCase(c)) {
        char previous = wire.charAt(i - 1);
        if (Character.isLowerCase(previous) || Character.isDigit(previous)) {
          constant.append('_');
        }
      }
      constant.append(c);
    }
    return constant.toString().toUpperCase(Locale.ROOT);
  }

  /** Returns the constant of {@code type} whose wire (or constant) name is {@code wire}. */
  static <E extends Enum<E>> Optional<E> fromWire(Class<E> type, String wire) {
    String name = toConstantName(wire);
    return Arrays.stream(type.getEnumConstants()).filter(e -> e.name().equals(name)).findFirst();
  }

  /** Returns the wire names of all constants of {@code type}, comma separated, in order. */
  static String wireNames(Class<? extends Enum<?>> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(EnumNames::toWire)
        .collect(Collectors.joining(", "));
  }
}
