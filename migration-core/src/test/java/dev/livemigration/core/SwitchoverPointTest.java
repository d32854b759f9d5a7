package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.StallDetector;
import dev.livemigration.core.SwitchoverPoint.Decision;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The switch-over rule against sequences of pass-end remainders at 64 MiB/s and a 900 ms limit
 * (57.6 MiB fit): where it pauses the guest, and why.
 */
@DisplayName("The switch-over point")
class SwitchoverPointTest {
  private static final long MIB = 1L << 20;
  private static final double RATE = 64.0 * MIB;
  private static final Duration LIMIT = Duration.ofMillis(900);

  /** Feeds pass-end remainders (the first pass starts at {@code total}) until the rule switches. */
  private static List<Decision> run(SwitchoverPoint rule, long total, long... remainders) {
    List<Decision> decisions = new ArrayList<>();
    long start = total;
    for (long remaining : remainders) {
      Decision decision = rule.atPassEnd(start, remaining, RATE, LIMIT, Duration.ZERO);
      decisions.add(decision);
      if (decision.switches()) {
        break;
      }
      start = remaining;
    }
    return decisions;
  }

  private static long[] geometric(long total, double ratio, int passes) {
    long[] remainders = new long[passes];
    double r = total;
    for (int i = 0; i < passes; i++) {
      r *= ratio;
      remainders[i] = (long) r;
    }
    return remainders;
  }

  @Test
  @DisplayName("a guest whose remainders fall 40 % a pass runs on past the first fit to the floor")
  void fallingGuestRunsToTheFloor() {
    List<Decision> decisions =
        run(SwitchoverPoint.localMinimum(), 1024 * MIB, geometric(1024 * MIB, 0.6, 40));

    // 1 GiB × 0.6^6 = 47.8 MiB (746 ms) is the first fit; each pass gains 40 %, worth it while
    // that is at least 1 % of the limit (9 ms): down to 20.9 ms, after pass 13.
    assertThat(decisions.subList(0, 5)).containsOnly(Decision.DOES_NOT_FIT);
    assertThat(decisions.subList(5, 12)).containsOnly(Decision.NEXT_PASS);
    assertThat(decisions).hasSize(13).endsWith(Decision.FLOOR);
  }

  @Test
  @DisplayName("without the search it switches at the first fit, as QEMU does")
  void firstFit() {
    List<Decision> decisions =
        run(SwitchoverPoint.firstFit(), 1024 * MIB, geometric(1024 * MIB, 0.6, 40));

    assertThat(decisions).hasSize(6).endsWith(Decision.FIRST_FIT);
  }

  @Test
  @DisplayName("an idle guest switches at once")
  void idle() {
    assertThat(run(SwitchoverPoint.localMinimum(), 1024 * MIB, 0))
        .containsExactly(Decision.NOTHING_LEFT);
  }

  @Test
  @DisplayName("a plateau below the limit switches on its first pass")
  void plateau() {
    assertThat(run(SwitchoverPoint.localMinimum(), 1024 * MIB, 28 * MIB, 28 * MIB, 28 * MIB))
        .containsExactly(Decision.NEXT_PASS, Decision.MINIMUM);
  }

  @Test
  @DisplayName("a rise that still fits switches: the minimum has passed")
  void riseThatFits() {
    assertThat(run(SwitchoverPoint.localMinimum(), 1024 * MIB, 40 * MIB, 20 * MIB, 30 * MIB))
        .containsExactly(Decision.NEXT_PASS, Decision.NEXT_PASS, Decision.MINIMUM);
  }

  @Test
  @DisplayName("a fall smaller than the margin is no fall; one larger than it is")
  void margin() {
    assertThat(run(SwitchoverPoint.localMinimum(), 1024 * MIB, 40 * MIB, 40 * MIB - MIB / 4))
        .containsExactly(Decision.NEXT_PASS, Decision.MINIMUM);
    assertThat(run(SwitchoverPoint.localMinimum(), 1024 * MIB, 40 * MIB, 38 * MIB, 38 * MIB))
        .containsExactly(Decision.NEXT_PASS, Decision.NEXT_PASS, Decision.MINIMUM);
  }

  @Test
  @DisplayName("a sawtooth is compared with its lowest pass start, not with the last one")
  void sawtooth() {
    // 20 MiB, up to 70 MiB (too much), down to 30 MiB: below the pass start before it, but not a
    // new low: the fall stopped at 20 MiB, and 30 MiB fits.
    assertThat(run(SwitchoverPoint.localMinimum(), 1024 * MIB, 20 * MIB, 70 * MIB, 30 * MIB))
        .containsExactly(Decision.NEXT_PASS, Decision.DOES_NOT_FIT, Decision.MINIMUM);
  }

  @Test
  @DisplayName("the rest does not fit: the next pass runs, whatever the trend")
  void doesNotFit() {
    SwitchoverPoint rule = SwitchoverPoint.localMinimum();

    assertThat(rule.atPassEnd(1024 * MIB, 100 * MIB, RATE, LIMIT, Duration.ZERO))
        .isEqualTo(Decision.DOES_NOT_FIT);
    assertThat(rule.atPassEnd(100 * MIB, 100 * MIB, 0, LIMIT, Duration.ZERO))
        .isEqualTo(Decision.DOES_NOT_FIT);
  }

  @Test
  @DisplayName("one more pass that would outlast the completion budget is not run")
  void budget() {
    // 1 GiB at 150 s per GiB: 150 s. At 149.6 s, a pass of 250 ms and the switch after it would
    // end past the budget.
    SwitchoverPoint rule =
        SwitchoverPoint.of(
            MigrationConfiguration.builder()
                .completionTimeoutPerGiB(Duration.ofSeconds(150))
                .build(),
            1L << 30);

    assertThat(rule.atPassEnd(1024 * MIB, 32 * MIB, RATE, LIMIT, Duration.ofSeconds(100)))
        .isEqualTo(Decision.NEXT_PASS);
    assertThat(rule.atPassEnd(32 * MIB, 16 * MIB, RATE, LIMIT, Duration.ofMillis(149_600)))
        .isEqualTo(Decision.BUDGET);
  }

  @Test
  @DisplayName("the stall detector's stallMargin and searchLocalMinima are obeyed")
  void stallDetector() {
    MigrationConfiguration wide =
        MigrationConfiguration.builder()
            .experimental(
                ExperimentalMigrationOptions.builder()
                    .stallDetector(StallDetector.builder().stallMargin(50).build())
                    .build())
            .build();
    MigrationConfiguration off =
        MigrationConfiguration.builder()
            .experimental(
                ExperimentalMigrationOptions.builder()
                    .stallDetector(StallDetector.builder().searchLocalMinima(false).build())
                    .build())
            .build();

    // A 40 % fall is less than a 50 % margin: the fall counts as stopped.
    assertThat(run(SwitchoverPoint.of(wide, 1L << 30), 1024 * MIB, geometric(1024 * MIB, 0.6, 9)))
        .hasSize(6)
        .endsWith(Decision.MINIMUM);
    assertThat(run(SwitchoverPoint.of(off, 1L << 30), 1024 * MIB, geometric(1024 * MIB, 0.6, 9)))
        .hasSize(6)
        .endsWith(Decision.FIRST_FIT);
  }
}
