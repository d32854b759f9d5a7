package dev.livemigration.examples.cli;

import dev.livemigration.api.Quantity;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Option values the CLI reads with a rule of its own; picocli names the option on an error. */
final class Converters {
  private static final Pattern SHORT_DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

  private Converters() {}

  /**
   * A duration, not negative: {@code 500ms}, {@code 3s}, {@code 2m}, {@code 1h}, {@code 0}, or
   * ISO-8601 as {@code PT3S}.
   */
  static final class NonNegativeDuration implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration duration = parse(value);
      if (duration.isNegative()) {
        throw new TypeConversionException("must not be negative, but was '" + value + "'");
      }
      return duration;
    }

    private static Duration parse(String value) {
      if (value.equals("0")) {
        return Duration.ZERO;
      }
      Matcher m = SHORT_DURATION.matcher(value);
      if (m.matches()) {
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(amount);
          case "s" -> Duration.ofSeconds(amount);
          case "m" -> Duration.ofMinutes(amount);
          default -> Duration.ofHours(amount);
        };
      }
      try {
        return Duration.parse(value);
      } catch (DateTimeParseException e) {
        throw new TypeConversionException(
            "must be a duration such as 500ms, 3s, 2m, 1h or PT3S, but was '" + value + "'");
      }
    }
  }

  /** A positive Kubernetes quantity such as {@code 64Mi} or {@code 1Gi}. */
  static final class PositiveQuantity implements ITypeConverter<Quantity> {
    @Override
    public Quantity convert(String value) {
      Quantity quantity;
      try {
        quantity = Quantity.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
      if (quantity.bytes() <= 0) {
        throw new TypeConversionException("must be positive, but was '" + value + "'");
      }
      return quantity;
    }
  }
}
