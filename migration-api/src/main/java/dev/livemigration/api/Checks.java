package dev.livemigration.api;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/** Argument checks shared by the value types; each message names the field, rule and value. */
final class Checks {
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern LABEL_NAME =
      Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");

  private Checks() {}

  static InvalidValueException invalid(String field, String rule, Object value) {
    return new InvalidValueException(field, rule, quote(value));
  }

  static String quote(Object value) {
    return value instanceof String ? "'" + value + "'" : String.valueOf(value);
  }

  static void atLeast(String field, long value, long min) {
    if (value < min) {
      throw invalid(field, "must be >= " + min, value);
    }
  }

  static void between(String field, long value, long min, long max) {
    if (value < min || value > max) {
      throw invalid(field, "must be between " + min + " and " + max, value);
    }
  }

  static void wholeSecondsNotNegative(String field, Duration value) {
    if (value.isNegative()) {
      throw invalid(field, "must not be negative", value.getSeconds() + "s");
    }
    if (value.getNano() != 0) {
      throw invalid(field, "must be a whole number of seconds", value);
    }
  }

  /** A factor above (or, if not {@code exclusiveZero}, at least) 0 and at most {@code max}. */
  static void factor(String field, Quantity value, String rule, boolean exclusiveZero, String max) {
    int sign = value.value().signum();
    if (sign < 0
        || (exclusiveZero && sign == 0)
        || value.value().compareTo(new BigDecimal(max)) > 0) {
      throw invalid(field, rule, value);
    }
  }

  static void factorAtLeastOne(String field, Quantity value) {
    if (value.value().compareTo(BigDecimal.ONE) < 0) {
      throw invalid(field, "must be at least 1", value);
    }
  }

  static void positiveWholeSeconds(String field, Duration value) {
    if (value.isNegative() || value.isZero()) {
      throw invalid(field, "must be a positive number of seconds", value.getSeconds() + "s");
    }
    if (value.getNano() != 0) {
      throw invalid(field, "must be a whole number of seconds", value);
    }
  }

  static void wholeBytes(String field, Quantity value) {
    try {
      value.bytes();
    } catch (IllegalStateException e) {
      throw invalid(field, "must be a whole number of bytes up to " + Long.MAX_VALUE, value);
    }
  }

  static void port(String field, int value) {
    if (value < 0 || value > 65535) {
      throw invalid(field, "must be a TCP port between 0 and 65535", value);
    }
  }

  static void notBlank(String field, String value) {
    if (value.isBlank()) {
      throw invalid(field, "must not be blank", value);
    }
  }

  /** Kubernetes object names: a DNS-1123 subdomain of at most 253 characters. */
  static void objectName(String field, String value) {
    if (value.isEmpty()) {
      throw invalid(field, "must not be empty", value);
    }
    if (value.length() > 253 || !DNS_SUBDOMAIN.matcher(value).matches()) {
      throw invalid(
          field,
          "must be a DNS-1123 subdomain (lower case letters, digits, '-' and '.', starting and"
              + " ending with a letter or digit, at most 253 characters)",
          value);
    }
  }

  /** Kubernetes namespace names: a DNS-1123 label of at most 63 characters. */
  static void namespaceName(String field, String value) {
    if (value.isEmpty() || value.length() > 63 || !DNS_LABEL.matcher(value).matches()) {
      throw invalid(
          field,
          "must be a DNS-1123 label (lower case letters, digits and '-', starting and ending with"
              + " a letter or digit, at most 63 characters)",
          value);
    }
  }

  /** Kubernetes label selectors: keys with an optional DNS prefix, values of 63 characters. */
  static void labels(String field, Map<String, String> labels) {
    labels.forEach(
        (key, value) -> {
          String name = key;
          int slash = key.indexOf('/');
          if (slash >= 0) {
            objectName(field + " key prefix", key.substring(0, slash));
            name = key.substring(slash + 1);
          }
          if (name.isEmpty() || name.length() > 63 || !LABEL_NAME.matcher(name).matches()) {
            throw invalid(
                field + " key",
                "must be a label name (letters, digits, '-', '_' and '.', starting and ending with"
                    + " a letter or digit, at most 63 characters, optionally after a DNS prefix"
                    + " and '/')",
                key);
          }
          if (value.length() > 63 || !LABEL_VALUE.matcher(value).matches()) {
            throw invalid(
                field + "[" + key + "]",
                "must be a label value (empty, or letters, digits, '-', '_' and '.', starting and"
                    + " ending with a letter or digit, at most 63 characters)",
                value);
          }
        });
  }
}
