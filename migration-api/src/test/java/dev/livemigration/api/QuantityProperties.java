package dev.livemigration.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;

class QuantityProperties {
  private static final List<String> BINARY = List.of("Ki", "Mi", "Gi", "Ti", "Pi", "Ei");

  /** The decimal suffixes by exponent, from n (index 0, 10^-9) to E (index 9, 10^18). */
  private static final List<String> DECIMAL =
      List.of("n", "u", "m", "", "k", "M", "G", "T", "P", "E");

  private static final Pattern CANONICAL =
      Pattern.compile("0|([1-9][0-9]*)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|e-?[1-9][0-9]*)?");

  /** A quantity as written in a manifest, with the value it must parse to. */
  static final class Written {
    final String text;
    final BigDecimal value;

    Written(String text, BigDecimal value) {
      this.text = text;
      this.value = value;
    }

    @Override
    public String toString() {
      return text + " (" + value.toPlainString() + ")";
    }
  }

  @Property
  void parsesToTheExactValue(@ForAll("written") Written written) {
    assertThat(Quantity.parse(written.text).value()).isEqualByComparingTo(written.value);
  }

  @Property
  void canonicalFormRoundTrips(@ForAll("written") Written written) {
    Quantity quantity = Quantity.parse(written.text);
    String canonical = quantity.toString();

    Quantity reparsed = Quantity.parse(canonical);

    assertThat(reparsed).isEqualTo(quantity).hasSameHashCodeAs(quantity);
    assertThat(reparsed).hasToString(canonical);
    assertThat(canonical).matches(CANONICAL).hasSizeLessThanOrEqualTo(64);
  }

  @Property
  void canonicalFormKeepsTheFamilyWithTheLargestWholeSuffix(@ForAll("written") Written written) {
    Quantity quantity = Quantity.parse(written.text);
    Matcher matcher = CANONICAL.matcher(quantity.toString());
    assertThat(matcher.matches()).isTrue();
    if (quantity.isZero()) {
      assertThat(quantity).hasToString("0");
      return;
    }
    BigInteger mantissa = new BigInteger(matcher.group(1));
    String suffix = matcher.group(2) == null ? "" : matcher.group(2);
    boolean whole = quantity.value().scale() <= 0;
    String family = family(written.text);
    if (family.equals("plain") && whole) {
      assertThat(quantity).hasToString(written.value.toBigIntegerExact().toString());
    } else if (family.equals("binary") && whole) {
      assertThat(suffix).isIn("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei");
      if (!suffix.equals("Ei")) {
        assertThat(mantissa.mod(BigInteger.valueOf(1024))).isNotEqualTo(BigInteger.ZERO);
      }
    } else if (family.equals("exponent")) {
      assertThat(suffix).matches("|e-?[0-9]+");
      if (!suffix.equals("e30")) {
        assertThat(mantissa.mod(BigInteger.valueOf(1000))).isNotEqualTo(BigInteger.ZERO);
      }
    } else {
      assertThat(suffix).isIn(DECIMAL);
      if (!suffix.equals("E")) {
        assertThat(mantissa.mod(BigInteger.valueOf(1000))).isNotEqualTo(BigInteger.ZERO);
      }
    }
  }

  @Property
  void binarySuffixesMultiplyByPowersOf1024(
      @ForAll @IntRange(min = 1, max = 6) int power, @ForAll long seed) {
    long max = Long.MAX_VALUE >> (10 * power);
    long n = Math.floorMod(seed, max + 1);

    Quantity quantity = Quantity.parse(n + BINARY.get(power - 1));

    assertThat(quantity.bytes()).isEqualTo(n << (10 * power));
    assertThat(quantity).isEqualTo(Quantity.ofBytes(n << (10 * power)));
  }

  @Property
  void ofBytesRoundTrips(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long bytes) {
    Quantity quantity = Quantity.ofBytes(bytes);

    assertThat(quantity.bytes()).isEqualTo(bytes);
    assertThat(Quantity.parse(quantity.toString())).isEqualTo(quantity);
    assertThat(Quantity.parse(quantity.toString())).hasToString(quantity.toString());
    assertThat(quantity.toString()).doesNotContainPattern("[numkMGTPEe]$");
  }

  @Property
  void ofMebibytesAndOfGibibytesAgreeWithOfBytes(
      @ForAll @LongRange(min = 0, max = Long.MAX_VALUE >> 30) long n) {
    assertThat(Quantity.ofMebibytes(n)).isEqualTo(Quantity.ofBytes(n << 20));
    assertThat(Quantity.ofGibibytes(n)).isEqualTo(Quantity.ofBytes(n << 30));
    assertThat(Quantity.ofMebibytes(n << 10)).hasToString(Quantity.ofGibibytes(n).toString());
  }

  @Property
  void equalityIgnoresTheFamily(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long n) {
    Quantity binary = Quantity.ofBytes(n);
    Quantity decimal = Quantity.parse(n + "000m");
    Quantity exponent = Quantity.parse(n + "000e-3");

    assertThat(decimal).isEqualTo(binary).hasSameHashCodeAs(binary);
    assertThat(exponent).isEqualTo(binary).hasSameHashCodeAs(binary);
    assertThat(decimal.compareTo(binary)).isZero();
  }

  @Property
  void orderingAgreesWithTheValue(
      @ForAll("written") Written left, @ForAll("written") Written right) {
    Quantity a = Quantity.parse(left.text);
    Quantity b = Quantity.parse(right.text);

    assertThat(Integer.signum(a.compareTo(b))).isEqualTo(left.value.compareTo(right.value));
    assertThat(a.equals(b)).isEqualTo(a.compareTo(b) == 0);
    assertThat(Integer.signum(a.compareTo(b))).isEqualTo(-Integer.signum(b.compareTo(a)));
  }

  @Property
  void bytesIsExactOrRefuses(@ForAll("written") Written written) {
    Quantity quantity = Quantity.parse(written.text);
    boolean whole = written.value.stripTrailingZeros().scale() <= 0;
    boolean fits = written.value.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0;
    if (whole && fits) {
      assertThat(quantity.bytes()).isEqualTo(written.value.longValueExact());
    } else {
      assertThat(catchIllegalState(quantity)).contains(quantity.toString());
    }
  }

  @Property
  void negativeQuantitiesAreRejected(@ForAll("written") Written written) {
    String negative = "-" + written.text.replaceFirst("^\\+", "");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Quantity.parse(negative))
        .withMessage("quantity must not be negative, but was '%s'", negative);
  }

  @Property(tries = 2000)
  void grammarLikeTextParsesOrIsRejectedWithIllegalArgument(@ForAll("grammarLike") String text) {
    assertParsesOrRejects(text);
  }

  @Property
  void anyTextParsesOrIsRejectedWithIllegalArgument(@ForAll @StringLength(max = 80) String text) {
    assertParsesOrRejects(text);
  }

  private static void assertParsesOrRejects(String text) {
    Quantity quantity;
    try {
      quantity = Quantity.parse(text);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).startsWith("quantity ");
      return;
    }
    assertThat(quantity.value().signum()).isNotNegative();
    assertThat(Quantity.parse(quantity.toString())).isEqualTo(quantity);
    assertThat(Quantity.parse(quantity.toString())).hasToString(quantity.toString());
  }

  private static String catchIllegalState(Quantity quantity) {
    try {
      quantity.bytes();
    } catch (IllegalStateException e) {
      return e.getMessage();
    }
    throw new AssertionError("bytes() of " + quantity + " should have failed");
  }

  private static String family(String text) {
    if (text.endsWith("i")) {
      return "binary";
    }
    if (text.matches(".*[eE][-+]?[0-9]+")) {
      return "exponent";
    }
    return text.matches("[+]?[0-9.]+") ? "plain" : "decimal";
  }

  @Provide
  Arbitrary<Written> written() {
    return Arbitraries.oneOf(binaryWritten(), decimalWritten(), exponentWritten());
  }

  @Provide
  Arbitrary<String> grammarLike() {
    return Arbitraries.strings().withChars("0123456789.+-eEKkMGTPinum ").ofMaxLength(70);
  }

  private static Arbitrary<BigInteger> integers() {
    return Arbitraries.oneOf(
        Arbitraries.longs().between(0, 2000).map(BigInteger::valueOf),
        Arbitraries.longs().between(0, Long.MAX_VALUE).map(BigInteger::valueOf),
        Arbitraries.bigIntegers()
            .between(BigInteger.ZERO, BigInteger.TEN.pow(25))
            .map(n -> n.multiply(BigInteger.valueOf(1024))));
  }

  private static Arbitrary<String> fractions(int maxDigits) {
    return Arbitraries.strings().numeric().ofMaxLength(maxDigits);
  }

  private static Arbitrary<Written> binaryWritten() {
    return Combinators.combine(
            integers(), fractions(9), Arbitraries.integers().between(1, 6), Arbitraries.of(0, 1))
        .as(
            (whole, fraction, power, style) -> {
              BigDecimal number = number(whole, fraction);
              BigDecimal value =
                  number.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(10 * power)));
              return new Written(text(whole, fraction, style) + BINARY.get(power - 1), value);
            });
  }

  private static Arbitrary<Written> decimalWritten() {
    return Combinators.combine(
            integers(), fractions(18), Arbitraries.integers().between(0, 9), Arbitraries.of(0, 1))
        .filter((whole, fraction, index, style) -> fraction.length() <= 3 * index)
        .as(
            (whole, fraction, index, style) -> {
              BigDecimal value = number(whole, fraction).scaleByPowerOfTen(3 * index - 9);
              return new Written(text(whole, fraction, style) + DECIMAL.get(index), value);
            });
  }

  private static Arbitrary<Written> exponentWritten() {
    return Combinators.combine(
            integers(),
            fractions(9),
            Arbitraries.integers().between(-30, 30),
            Arbitraries.of("e", "E", "e+", "E+"))
        .filter((whole, fraction, exponent, marker) -> fraction.length() - exponent <= 9)
        .as(
            (whole, fraction, exponent, marker) -> {
              BigDecimal value = number(whole, fraction).scaleByPowerOfTen(exponent);
              String sign = exponent < 0 ? marker.substring(0, 1) : marker;
              return new Written(text(whole, fraction, 0) + sign + exponent, value);
            });
  }

  private static BigDecimal number(BigInteger whole, String fraction) {
    return fraction.isEmpty() ? new BigDecimal(whole) : new BigDecimal(whole + "." + fraction);
  }

  /** Writes the number plainly (style 0) or with a leading '+' and an omitted zero (style 1). */
  private static String text(BigInteger whole, String fraction, int style) {
    String integral = style == 1 && whole.signum() == 0 && !fraction.isEmpty() ? "" : "" + whole;
    String prefix = style == 1 ? "+" : "";
    return prefix + integral + (fraction.isEmpty() ? "" : "." + fraction);
  }
}
