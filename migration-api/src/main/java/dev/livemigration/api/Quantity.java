package dev.livemigration.api;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Objects;

/**
 * A non-negative Kubernetes resource quantity such as {@code 64Mi}, {@code 1Gi}, {@code 500M},
 * {@code 250m} or {@code 1e3}, held as an exact decimal.
 *
 * <p>A quantity remembers the family of suffix it was written with (binary {@code Ki..Ei}, decimal
 * {@code n..E}, a decimal exponent {@code e3}, or none) and {@link #toString()} writes it back in
 * that family in canonical form, so {@code parse(q.toString())} equals {@code q} and has the same
 * canonical form. Equality, hashing and ordering depend on the numeric value only: {@code 1Gi},
 * {@code 1024Mi} and {@code 1073741824} are equal.
 */
public final class Quantity implements Comparable<Quantity> {
  /** The longest text {@link #parse(String)} accepts, and the longest canonical form. */
  private static final int MAX_LENGTH = 64;

  /** The largest absolute decimal exponent accepted after {@code e} or {@code E}. */
  private static final int MAX_EXPONENT = 30;

  /** The finest precision a quantity may have: 1n, that is 10^-9. */
  private static final int MAX_SCALE = 9;

  private static final String GRAMMAR_RULE =
      "quantity must match <number><suffix> such as 64Mi, 1Gi or 500M";

  private static final String[] BINARY_SUFFIXES = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

  /** Decimal SI suffixes by exponent: index {@code (exponent + 9) / 3}, from n to E. */
  private static final String[] DECIMAL_SUFFIXES = {
    "n", "u", "m", "", "k", "M", "G", "T", "P", "E"
  };

  private static final int MIN_DECIMAL_EXPONENT = -9;
  private static final int MAX_DECIMAL_EXPONENT = 18;
  private static final BigDecimal MAX_LONG = BigDecimal.valueOf(Long.MAX_VALUE);

  /** The quantity zero, written {@code 0}. */
  public static final Quantity ZERO = new Quantity(BigDecimal.ZERO, Family.BINARY);

  /** How a quantity is written back: the family of suffix it was parsed or built with. */
  private enum Family {
    /** No suffix: whole numbers stay plain, fractions are written like {@link #DECIMAL}. */
    PLAIN,
    BINARY,
    DECIMAL,
    EXPONENT
  }

  private final BigDecimal value;
  private final String text;

  private Quantity(BigDecimal value, Family family) {
    this.value = normalize(value);
    this.text = format(this.value, family);
  }

  /**
   * Parses a Kubernetes quantity such as {@code 64Mi}, {@code 1.5Gi}, {@code 500M}, {@code 250m} or
   * {@code 1e3} exactly.
   *
   * <p>The grammar is an optional {@code +}, digits with an optional fraction ({@code 1.5}, {@code
   * .5}, {@code 5.}) and an optional suffix: binary {@code Ki Mi Gi Ti Pi Ei}, decimal {@code n u m
   * k M G T P E}, or {@code e}/{@code E} followed by an optional sign and digits (an exponent from
   * -30 to 30; {@code 2E} is 2 exa, {@code 2E3} is 2000). The text must be at most 64 characters,
   * without surrounding whitespace, not negative, no finer than {@code 1n}, and its canonical form
   * must also fit in 64 characters.
   *
   * @throws NullPointerException if {@code text} is null
   * @throws IllegalArgumentException if {@code text} breaks one of the rules; the message names the
   *     rule and the value
   */
  public static Quantity parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty()) {
      throw new InvalidValueException("quantity", "must not be empty", "''");
    }
    if (text.length() > MAX_LENGTH) {
      throw new InvalidValueException(
          "quantity",
          "must be at most " + MAX_LENGTH + " characters long",
          "'" + text.substring(0, 32) + "...' (" + text.length() + " characters)");
    }
    if (Character.isWhitespace(text.charAt(0))
        || Character.isWhitespace(text.charAt(text.length() - 1))) {
      throw invalid("quantity must not have leading or trailing whitespace", text);
    }
    if (text.charAt(0) == '-') {
      String magnitude = text.substring(1);
      if (!magnitude.startsWith("+") && scan(magnitude) != null) {
        throw invalid("quantity must not be negative", text);
      }
      throw invalid(GRAMMAR_RULE, text);
    }
    Scanned scanned = scan(text);
    if (scanned == null) {
      throw invalid(GRAMMAR_RULE, text);
    }
    BigDecimal value;
    switch (scanned.family) {
      case BINARY:
        value =
            new BigDecimal(
                scanned.number.unscaledValue().shiftLeft(scanned.power), scanned.number.scale());
        break;
      case EXPONENT:
        if (Math.abs(scanned.power) > MAX_EXPONENT) {
          throw invalid(
              "quantity must have an exponent between -" + MAX_EXPONENT + " and " + MAX_EXPONENT,
              text);
        }
        value = scanned.number.scaleByPowerOfTen(scanned.power);
        break;
      default:
        value = scanned.number.scaleByPowerOfTen(scanned.power);
        break;
    }
    if (value.signum() != 0 && value.stripTrailingZeros().scale() > MAX_SCALE) {
      throw invalid("quantity must not be more precise than 1n (10^-9)", text);
    }
    Quantity quantity = new Quantity(value, scanned.family);
    if (quantity.text.length() > MAX_LENGTH) {
      throw new InvalidValueException(
          "quantity",
          "must have a canonical form of at most " + MAX_LENGTH + " characters",
          "'" + text + "', written with " + quantity.text.length());
    }
    return quantity;
  }

  /**
   * Returns a quantity of {@code bytes} bytes, written with binary suffixes ({@code 1024} is {@code
   * 1Ki}).
   *
   * @throws IllegalArgumentException if {@code bytes} is negative
   */
  public static Quantity ofBytes(long bytes) {
    return ofBinary("bytes", bytes, 0);
  }

  /**
   * Returns a quantity of {@code mebibytes} MiB, written with binary suffixes.
   *
   * @throws IllegalArgumentException if {@code mebibytes} is negative
   */
  public static Quantity ofMebibytes(long mebibytes) {
    return ofBinary("mebibytes", mebibytes, 20);
  }

  /**
   * Returns a quantity of {@code gibibytes} GiB, written with binary suffixes.
   *
   * @throws IllegalArgumentException if {@code gibibytes} is negative
   */
  public static Quantity ofGibibytes(long gibibytes) {
    return ofBinary("gibibytes", gibibytes, 30);
  }

  /** Returns the exact numeric value, with no trailing zeros after the decimal point. */
  public BigDecimal value() {
    return value;
  }

  /**
   * Returns the value as a whole number of bytes.
   *
   * @throws IllegalStateException if the value has a fractional part or exceeds {@link
   *     Long#MAX_VALUE}
   */
  public long bytes() {
    if (value.scale() > 0) {
      throw new IllegalStateException("quantity " + text + " is not a whole number of bytes");
    }
    if (value.compareTo(MAX_LONG) > 0) {
      throw new IllegalStateException(
          "quantity " + text + " exceeds the largest byte count " + Long.MAX_VALUE);
    }
    return value.longValueExact();
  }

  /** Returns whether the value is zero. */
  public boolean isZero() {
    return value.signum() == 0;
  }

  /** Compares the numeric values, whatever the suffix families. */
  @Override
  public int compareTo(Quantity other) {
    return value.compareTo(other.value);
  }

  /** Returns whether {@code other} is a quantity with the same numeric value. */
  @Override
  public boolean equals(Object other) {
    return other instanceof Quantity && value.compareTo(((Quantity) other).value) == 0;
  }

  /** Returns a hash of the numeric value, consistent with {@link #equals(Object)}. */
  @Override
  public int hashCode() {
    return value.hashCode();
  }

  /**
   * Returns the canonical text, as written back to manifests: the parsed suffix family with the
   * largest suffix that keeps the number whole.
   *
   * <p>Binary: {@code 1024Mi} is {@code 1Gi}, {@code 1536Mi} stays, {@code 1000} bytes stay {@code
   * 1000}. Decimal: {@code 1000k} is {@code 1M}, {@code 0.5} is {@code 500m}. Exponent: {@code
   * 1000e3} is {@code 1e6} (exponents are multiples of 3 up to 30, and {@code e0} is left out). A
   * whole number written without a suffix stays as written ({@code 1000} is not {@code 1k}), and a
   * binary quantity that is not whole falls back to the decimal family ({@code 0.1Ki} is {@code
   * 102400m}). Zero is always {@code 0}.
   */
  @Override
  public String toString() {
    return text;
  }

  private static Quantity ofBinary(String unit, long amount, int shift) {
    if (amount < 0) {
      throw new IllegalArgumentException(unit + " must be >= 0, but was " + amount);
    }
    BigInteger bytes = BigInteger.valueOf(amount).shiftLeft(shift);
    return new Quantity(new BigDecimal(bytes), Family.BINARY);
  }

  private static InvalidValueException invalid(String rule, String text) {
    return new InvalidValueException(
        "quantity", rule.substring("quantity ".length()), "'" + text + "'");
  }

  /** Strips trailing zeros, but keeps whole numbers at scale 0 ({@code 1000}, not {@code 1E+3}). */
  private static BigDecimal normalize(BigDecimal value) {
    BigDecimal stripped = value.stripTrailingZeros();
    return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
  }

  private static String format(BigDecimal value, Family family) {
    if (value.signum() == 0) {
      return "0";
    }
    if (family == Family.PLAIN && value.scale() <= 0) {
      return value.toPlainString();
    }
    if (family == Family.BINARY && value.scale() <= 0) {
      BigInteger whole = value.toBigIntegerExact();
      int power = Math.min(whole.getLowestSetBit() / 10, BINARY_SUFFIXES.length - 1);
      return whole.shiftRight(10 * power) + BINARY_SUFFIXES[power];
    }
    // value == unscaled * 10^-scale, with scale <= MAX_SCALE; pick the largest multiple of 3 at
    // or below -scale, so that the mantissa stays whole.
    BigDecimal stripped = value.stripTrailingZeros();
    int exponent = Math.floorDiv(-stripped.scale(), 3) * 3;
    if (family == Family.EXPONENT) {
      exponent = Math.min(exponent, MAX_EXPONENT / 3 * 3);
      BigInteger mantissa = stripped.scaleByPowerOfTen(-exponent).toBigIntegerExact();
      return exponent == 0 ? mantissa.toString() : mantissa + "e" + exponent;
    }
    exponent = Math.max(MIN_DECIMAL_EXPONENT, Math.min(exponent, MAX_DECIMAL_EXPONENT));
    BigInteger mantissa = stripped.scaleByPowerOfTen(-exponent).toBigIntegerExact();
    return mantissa + DECIMAL_SUFFIXES[(exponent - MIN_DECIMAL_EXPONENT) / 3];
  }

  /** The syntactic parts of a quantity: its number, family and binary or decimal power. */
  private static final class Scanned {
    final BigDecimal number;
    final Family family;

    /** Bits to shift left for the binary family; the power of ten otherwise. */
    final int power;

    Scanned(BigDecimal number, Family family, int power) {
      this.number = number;
      this.family = family;
      this.power = power;
    }
  }

  /** Splits {@code text} into number and suffix, or returns null if it breaks the grammar. */
  private static Scanned scan(String text) {
    int length = text.length();
    int index = 0;
    if (index < length && text.charAt(index) == '+') {
      index++;
    }
    StringBuilder digits = new StringBuilder();
    while (index < length && isDigit(text.charAt(index))) {
      digits.append(text.charAt(index++));
    }
    int fractionDigits = 0;
    if (index < length && text.charAt(index) == '.') {
      index++;
      while (index < length && isDigit(text.charAt(index))) {
        digits.append(text.charAt(index++));
        fractionDigits++;
      }
    }
    if (digits.length() == 0) {
      return null;
    }
    BigDecimal number = new BigDecimal(new BigInteger(digits.toString()), fractionDigits);
    String suffix = text.substring(index);
    for (int power = 1; power < BINARY_SUFFIXES.length; power++) {
      if (suffix.equals(BINARY_SUFFIXES[power])) {
        return new Scanned(number, Family.BINARY, 10 * power);
      }
    }
    if (suffix.isEmpty()) {
      return new Scanned(number, Family.PLAIN, 0);
    }
    for (int i = 0; i < DECIMAL_SUFFIXES.length; i++) {
      if (suffix.equals(DECIMAL_SUFFIXES[i])) {
        return new Scanned(number, Family.DECIMAL, MIN_DECIMAL_EXPONENT + 3 * i);
      }
    }
    if (suffix.length() > 1 && (suffix.charAt(0) == 'e' || suffix.charAt(0) == 'E')) {
      Integer exponent = exponent(suffix.substring(1));
      return exponent == null ? null : new Scanned(number, Family.EXPONENT, exponent);
    }
    return null;
  }

  /**
   * Reads a signed exponent, or returns null if it is not one; magnitudes are capped at 1000 so
   * that long runs of digits cannot overflow and still fail the range check.
   */
  private static Integer exponent(String text) {
    int index = 0;
    boolean negative = false;
    if (text.charAt(0) == '+' || text.charAt(0) == '-') {
      negative = text.charAt(0) == '-';
      index++;
    }
    if (index == text.length()) {
      return null;
    }
    int magnitude = 0;
    for (int i = index; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!isDigit(c)) {
        return null;
      }
      magnitude = Math.min(magnitude * 10 + (c - '0'), 1000);
    }
    return negative ? -magnitude : magnitude;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
