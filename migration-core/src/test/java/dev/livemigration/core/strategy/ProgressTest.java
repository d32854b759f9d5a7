package dev.livemigration.core.strategy;

import static dev.livemigration.core.strategy.Runs.BUDGET;
import static dev.livemigration.core.strategy.Runs.NOTHING_ALLOWED;
import static dev.livemigration.core.strategy.Runs.input;
import static dev.livemigration.core.strategy.Runs.pass;
import static dev.livemigration.core.strategy.Runs.remaining;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Progress readings shared by the strategies")
class ProgressTest {

  @Nested
  @DisplayName("a completed pass")
  class PassCompleted {

    @Test
    @DisplayName("is a rise of the pass number to 2 or more")
    void riseToTwoOrMore() {
      assertThat(Progress.passCompleted(input(NOTHING_ALLOWED, pass(1).build(), pass(2).build())))
          .isTrue();
      assertThat(Progress.passCompleted(input(NOTHING_ALLOWED, pass(0).build(), pass(3).build())))
          .isTrue();
    }

    @Test
    @DisplayName("is not the start of the first pass, the same pass again, or a lone sample")
    void notOtherwise() {
      assertThat(Progress.passCompleted(input(NOTHING_ALLOWED, pass(0).build(), pass(1).build())))
          .isFalse();
      assertThat(Progress.passCompleted(input(NOTHING_ALLOWED, pass(4).build(), pass(4).build())))
          .isFalse();
      assertThat(Progress.passCompleted(input(NOTHING_ALLOWED, pass(4).build()))).isFalse();
    }
  }

  @Nested
  @DisplayName("the low-water mark")
  class LowWaterMark {

    @Test
    @DisplayName("is the pass of the first sample with the lowest data remaining")
    void firstLowest() {
      assertThat(
              Progress.lowWaterIteration(
                  input(
                      NOTHING_ALLOWED,
                      remaining(1, 900),
                      remaining(2, 400),
                      remaining(3, 400),
                      remaining(4, 600))))
          .isEqualTo(2);
    }

    @Test
    @DisplayName("is the latest sample's pass when it is a new low, or without history")
    void latestWhenLowest() {
      assertThat(
              Progress.lowWaterIteration(
                  input(NOTHING_ALLOWED, remaining(1, 900), remaining(5, 899))))
          .isEqualTo(5);
      assertThat(Progress.lowWaterIteration(input(NOTHING_ALLOWED, remaining(7, 900))))
          .isEqualTo(7);
    }

    @Test
    @DisplayName("counts as a stall only 3 or more passes back")
    void stall() {
      ProgressSample low = remaining(2, 100);

      assertThat(Progress.stalled(input(NOTHING_ALLOWED, low, remaining(4, 200)), 3)).isFalse();
      assertThat(Progress.stalled(input(NOTHING_ALLOWED, low, remaining(5, 200)), 3)).isTrue();
    }
  }

  @Test
  @DisplayName("half the budget is used when twice the elapsed time reaches the budget")
  void halfBudget() {
    ProgressSample sample = pass(1).build();

    assertThat(Progress.halfBudgetUsed(input(NOTHING_ALLOWED, Duration.ZERO, BUDGET, sample)))
        .isFalse();
    assertThat(
            Progress.halfBudgetUsed(
                input(NOTHING_ALLOWED, Duration.ofSeconds(3200), BUDGET, sample)))
        .isTrue();
    assertThat(
            Progress.halfBudgetUsed(input(NOTHING_ALLOWED, Duration.ZERO, Duration.ZERO, sample)))
        .isTrue();
  }

  @Test
  @DisplayName("only an active pre-copy job can be steered")
  void inPreCopy() {
    assertThat(Progress.inPreCopy(input(NOTHING_ALLOWED, pass(1).build()))).isTrue();
    assertThat(
            Progress.inPreCopy(
                input(NOTHING_ALLOWED, pass(1).mode(MigrationMode.POST_COPY).build())))
        .isFalse();
    assertThat(
            Progress.inPreCopy(
                input(NOTHING_ALLOWED, pass(1).status(ProgressSample.Status.COMPLETED).build())))
        .isFalse();
  }

  @Test
  @DisplayName("the dirty rate outruns the transfer when at least as fast and data moves")
  void dirtyRateOutrunsTransfer() {
    assertThat(Progress.dirtyRateOutrunsTransfer(pass(1).dirtyRate(10).transferRate(10).build()))
        .isTrue();
    assertThat(Progress.dirtyRateOutrunsTransfer(pass(1).dirtyRate(9).transferRate(10).build()))
        .isFalse();
    assertThat(Progress.dirtyRateOutrunsTransfer(pass(1).dirtyRate(9).transferRate(0).build()))
        .isFalse();
  }
}
