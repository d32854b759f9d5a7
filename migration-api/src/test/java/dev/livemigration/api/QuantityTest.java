package dev.livemigration.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantityTest {

  @Nested
  class Parsing {
    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
      "64Mi, 67108864",
      "1Gi, 1073741824",
      "1.5Gi, 1610612736",
      "0.5Ki, 512",
      "1Ki, 1024",
      "1Ti, 1099511627776",
      "1Pi, 1125899906842624",
      "1Ei, 1152921504606846976",
      "500M, 500000000",
      "100k, 100000",
      "1G, 1000000000",
      "1T, 1000000000000",
      "1P, 1000000000000000",
      "2E, 2000000000000000000",
      "0, 0",
      "42, 42",
      "+42, 42",
      "1e3, 1000",
      "2E3, 2000",
      "1E+3, 1000",
      "1.5e3, 1500",
      "5e-3, 0.005",
      "1e0000000000000003, 1000",
      "250m, 0.25",
      "1m, 0.001",
      "1u, 0.000001",
      "1n, 0.000000001",
      "1.5, 1.5",
      ".5, 0.5",
      "5., 5",
      "0.000000001, 0.000000001",
      "007, 7",
    })
    void parsesExactValue(String text, String expected) {
      assertThat(Quantity.parse(text).value()).isEqualByComparingTo(new BigDecimal(expected));
    }

    @Test
    void valueHasNoTrailingZerosAndNoExponentNotation() {
      assertThat(Quantity.parse("1.500").value()).isEqualTo(new BigDecimal("1.5"));
      assertThat(Quantity.parse("1k").value()).isEqualTo(new BigDecimal("1000"));
      assertThat(Quantity.parse("1k").value().toString()).isEqualTo("1000");
      assertThat(Quantity.parse("0.000").value()).isEqualTo(BigDecimal.ZERO);
    }

    @Test
    void rejectsNull() {
      assertThatNullPointerException().isThrownBy(() -> Quantity.parse(null)).withMessage("text");
    }

    @Test
    void rejectsEmpty() {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Quantity.parse(""))
          .withMessage("quantity must not be empty, but was ''");
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "64MB",
          "1K",
          "1ki",
          "1KI",
          "1Mb",
          "Mi",
          "e3",
          ".",
          ".Mi",
          "+",
          "++1",
          "1.2.3",
          "1 Mi",
          "1e",
          "1E+",
          "1e-",
          "1e+-3",
          "1e3.0",
          "1e3k",
          "1i",
          "1Eii",
          "0x10",
          "1_000",
          "1,5",
          "∞",
          "١",
          "NaN",
          "Infinity",
          "1Mi1",
          "1mi",
          "1MiB",
          "-+1",
          "--1",
          "- 1",
          "-",
        })
    void rejectsTextOutsideTheGrammar(String text) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Quantity.parse(text))
          .withMessage(
              "quantity must match <number><suffix> such as 64Mi, 1Gi or 500M, but was '%s'", text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1Mi", "-1", "-0", "-1.5e3", "-250m"})
    void rejectsNegative(String text) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Quantity.parse(text))
          .withMessage("quantity must not be negative, but was '%s'", text);
    }

    @ParameterizedTest
    @ValueSource(strings = {" 1Gi", "1Gi ", "\t1", "1\n", " ", "\u20031"})
    void rejectsSurroundingWhitespace(String text) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Quantity.parse(text))
          .withMessage("quantity must not have leading or trailing whitespace, but was '%s'", text);
    }

    @Test
    void acceptsSixtyFourCharactersButNotMore() {
      String longest = "1" + "0".repeat(63);
      assertThat(Quantity.parse(longest).value()).isEqualTo(BigDecimal.TEN.pow(63));
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Quantity.parse(longest + "0"))
          .withMessage(
              "quantity must be at most 64 characters long, but was '%s...' (65 characters)",
              longest.substring(0, 32));
    }

    @Test
    void rejectsHugeTextQuickly() {
      String hostile = "9".repeat(1_000_000) + "e999999999";
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Quantity.parse(hostile))
          .withMessageStartingWith("quantity must be at most 64 characters long")
          .withMessageEndingWith("(1000010 characters)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e31", "1e-31", "1E31", "1e999999999999999999999", "1e-0031"})
    void rejectsExponentsBeyondThirty(String text) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Quantity.parse(text))
          .withMessage("quantity must have an exponent between -30 and 30, but was '%s'", text);
    }

    @Test
    void acceptsExponentsUpToThirty() {
      assertThat(Quantity.parse("1e30").value()).isEqualTo(BigDecimal.TEN.pow(30));
      assertThat(Quantity.parse("1000000000000000000000e-30").value())
          .isEqualByComparingTo("0.000000001");
    }

    @ParameterizedTest
    @ValueSource(
        strings = {"0.1n", "0.0000000001", "1e-10", "1e-30", "1.5n", "0.0001u", "0.0000000001Ki"})
    void rejectsPrecisionFinerThanOneNano(String text) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Quantity.parse(text))
          .withMessage("quantity must not be more precise than 1n (10^-9), but was '%s'", text);
    }

    @Test
    void acceptsBinaryFractionsDownToOneNano() {
      assertThat(Quantity.parse("0.1Ki").value()).isEqualByComparingTo("102.4");
      assertThat(Quantity.parse("0.000000001Ki").value()).isEqualByComparingTo("0.000001024");
    }

    @Test
    void zeroWithFineFractionIsStillZero() {
      assertThat(Quantity.parse("0.0000000000000").isZero()).isTrue();
      assertThat(Quantity.parse("0e-30").isZero()).isTrue();
    }

    @Test
    void rejectsQuantitiesWhoseCanonicalFormWouldBeTooLong() {
      // 0.1Ei is not a whole number, so it is written in the decimal family, which is longer.
      String text = "1".repeat(58) + ".1Ei";
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Quantity.parse(text))
          .withMessageStartingWith(
              "quantity must have a canonical form of at most 64 characters, but was '"
                  + text
                  + "'");
    }
  }

  @Nested
  class CanonicalForm {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
      // binary family
      "64Mi, 64Mi",
      "1024Mi, 1Gi",
      "1536Mi, 1536Mi",
      "1.5Gi, 1536Mi",
      "0.5Ki, 512",
      "0Mi, 0",
      "1024Ei, 1024Ei",
      "2048Ei, 2048Ei",
      "1048576Ki, 1Gi",
      "0.1Ki, 102400m",
      "0.001Ki, 1024m",
      "0.000000001Ki, 1024n",
      // decimal family
      "1000k, 1M",
      "1500k, 1500k",
      "0.5, 500m",
      "1000000m, 1k",
      "0.001, 1m",
      "0.0015, 1500u",
      "1000000000n, 1",
      "1000E, 1000E",
      "0.001E, 1P",
      "1000000P, 1000E",
      "2E, 2E",
      "0, 0",
      "0.0, 0",
      "0n, 0",
      "007k, 7k",
      "5., 5",
      ".5k, 500",
      // no suffix: whole numbers stay as written, fractions use the decimal family
      "1000, 1000",
      "+1000, 1000",
      "1024, 1024",
      "1000000000000000000, 1000000000000000000",
      "1.000, 1",
      "1000.5, 1000500m",
      "0.000001, 1u",
      // exponent family
      "1e3, 1e3",
      "1E3, 1e3",
      "1500e3, 1500e3",
      "1000e3, 1e6",
      "1.5e3, 1500",
      "1e0, 1",
      "10e-1, 1",
      "5e-3, 5e-3",
      "1e-9, 1e-9",
      "1e-8, 10e-9",
      "1e30, 1e30",
      "1000e30, 1000e30",
      "0e3, 0",
    })
    void keepsTheFamilyWithTheLargestWholeSuffix(String text, String canonical) {
      assertThat(Quantity.parse(text)).hasToString(canonical);
    }

    @Test
    void binaryFractionsFallBackToTheDecimalFamily() {
      assertThat(Quantity.parse("1.5Ki")).hasToString("1536");
      assertThat(Quantity.parse("0.1Ki")).hasToString("102400m");
      assertThat(Quantity.parse("1.1Mi")).hasToString("1153433600m");
      assertThat(Quantity.parse("0.1Gi")).hasToString("107374182400m");
    }

    @Test
    void factoriesUseTheBinaryFamily() {
      assertThat(Quantity.ofBytes(67108864)).hasToString("64Mi");
      assertThat(Quantity.ofBytes(1000)).hasToString("1000");
      assertThat(Quantity.ofBytes(1024)).hasToString("1Ki");
      assertThat(Quantity.ofBytes(0)).hasToString("0");
      assertThat(Quantity.ofBytes(Long.MAX_VALUE)).hasToString("9223372036854775807");
      assertThat(Quantity.ofMebibytes(64)).hasToString("64Mi");
      assertThat(Quantity.ofMebibytes(1024)).hasToString("1Gi");
      assertThat(Quantity.ofMebibytes(1536)).hasToString("1536Mi");
      assertThat(Quantity.ofGibibytes(1)).hasToString("1Gi");
      assertThat(Quantity.ofGibibytes(1024 * 1024)).hasToString("1Pi");
      assertThat(Quantity.ofGibibytes(Long.MAX_VALUE)).hasToString("9223372036854775807Gi");
      assertThat(Quantity.ZERO).hasToString("0");
    }
  }

  @Nested
  class Factories {
    @Test
    void ofBytesHoldsTheExactValue() {
      assertThat(Quantity.ofBytes(12345).bytes()).isEqualTo(12345);
      assertThat(Quantity.ofBytes(Long.MAX_VALUE).bytes()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void ofMebibytesAndGibibytesMultiplyExactly() {
      assertThat(Quantity.ofMebibytes(3).bytes()).isEqualTo(3L << 20);
      assertThat(Quantity.ofGibibytes(3).bytes()).isEqualTo(3L << 30);
      assertThat(Quantity.ofGibibytes(Long.MAX_VALUE).value())
          .isEqualTo(new BigDecimal(Long.MAX_VALUE).multiply(BigDecimal.valueOf(1L << 30)));
    }

    @Test
    void rejectNegativeAmounts() {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Quantity.ofBytes(-1))
          .withMessage("bytes must be >= 0, but was -1");
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Quantity.ofMebibytes(-2))
          .withMessage("mebibytes must be >= 0, but was -2");
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Quantity.ofGibibytes(Long.MIN_VALUE))
          .withMessage("gibibytes must be >= 0, but was " + Long.MIN_VALUE);
    }

    @Test
    void zeroIsZero() {
      assertThat(Quantity.ZERO.isZero()).isTrue();
      assertThat(Quantity.ZERO.bytes()).isZero();
      assertThat(Quantity.ZERO.value()).isEqualTo(BigDecimal.ZERO);
      assertThat(Quantity.ZERO).isEqualTo(Quantity.parse("0Mi")).isEqualTo(Quantity.parse("0e3"));
      assertThat(Quantity.ofBytes(1).isZero()).isFalse();
      assertThat(Quantity.parse("1n").isZero()).isFalse();
    }
  }

  @Nested
  class Bytes {
    @Test
    void returnsWholeValues() {
      assertThat(Quantity.parse("64Mi").bytes()).isEqualTo(64L << 20);
      assertThat(Quantity.parse("500M").bytes()).isEqualTo(500_000_000L);
      assertThat(Quantity.parse("1.5Gi").bytes()).isEqualTo(1_610_612_736L);
      assertThat(Quantity.parse("1e3").bytes()).isEqualTo(1000L);
      assertThat(Quantity.parse("1000m").bytes()).isEqualTo(1L);
      assertThat(Quantity.parse("9223372036854775807").bytes()).isEqualTo(Long.MAX_VALUE);
      assertThat(Quantity.parse("7Ei").bytes()).isEqualTo(7L << 60);
    }

    @Test
    void rejectsFractions() {
      assertThatIllegalStateException()
          .isThrownBy(() -> Quantity.parse("250m").bytes())
          .withMessage("quantity 250m is not a whole number of bytes");
      assertThatIllegalStateException()
          .isThrownBy(() -> Quantity.parse("0.1Ki").bytes())
          .withMessage("quantity 102400m is not a whole number of bytes");
    }

    @Test
    void rejectsValuesBeyondLong() {
      assertThatIllegalStateException()
          .isThrownBy(() -> Quantity.parse("8Ei").bytes())
          .withMessage("quantity 8Ei exceeds the largest byte count 9223372036854775807");
      assertThatIllegalStateException()
          .isThrownBy(() -> Quantity.parse("9223372036854775808").bytes())
          .withMessage(
              "quantity 9223372036854775808 exceeds the largest byte count 9223372036854775807");
      assertThatIllegalStateException()
          .isThrownBy(() -> Quantity.parse("1e30").bytes())
          .withMessageContaining("1e30");
    }
  }

  @Nested
  class Equality {
    @Test
    void dependsOnTheValueOnly() {
      Quantity gibibyte = Quantity.parse("1Gi");
      assertThat(gibibyte)
          .isEqualTo(Quantity.parse("1024Mi"))
          .isEqualTo(Quantity.parse("1073741824"))
          .isEqualTo(Quantity.parse("1073741824000m"))
          .isEqualTo(Quantity.parse("1.073741824e9"))
          .isEqualTo(Quantity.ofGibibytes(1))
          .isEqualTo(Quantity.ofMebibytes(1024))
          .isEqualTo(Quantity.ofBytes(1L << 30))
          .hasSameHashCodeAs(Quantity.parse("1073741824"))
          .hasSameHashCodeAs(Quantity.parse("1.073741824e9"))
          .hasSameHashCodeAs(Quantity.parse("1073741824.000"));
      assertThat(Quantity.parse("1k")).isEqualTo(Quantity.parse("1e3")).isNotEqualTo(gibibyte);
      assertThat(Quantity.parse("1k")).hasSameHashCodeAs(Quantity.parse("1000.000"));
      assertThat(Quantity.parse("0.5")).isEqualTo(Quantity.parse("500m"));
      assertThat(Quantity.parse("0")).isEqualTo(Quantity.parse("0.000")).isEqualTo(Quantity.ZERO);
    }

    @Test
    void isNotEqualToOtherTypes() {
      assertThat(Quantity.parse("1")).isNotEqualTo(BigDecimal.ONE).isNotEqualTo("1").isNotNull();
    }

    @Test
    void ordersByValue() {
      List<Quantity> quantities = new ArrayList<>();
      for (String text : new String[] {"1Gi", "1G", "0", "250m", "1e3", "1Ki", "1n", "1Ei"}) {
        quantities.add(Quantity.parse(text));
      }
      Collections.sort(quantities);
      assertThat(quantities)
          .extracting(Quantity::toString)
          .containsExactly("0", "1n", "250m", "1e3", "1Ki", "1G", "1Gi", "1Ei");
      assertThat(Quantity.parse("1Gi").compareTo(Quantity.parse("1024Mi"))).isZero();
      assertThat(Quantity.parse("1Gi")).isGreaterThan(Quantity.parse("1G"));
    }
  }
}
