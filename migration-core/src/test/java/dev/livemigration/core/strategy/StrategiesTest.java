package dev.livemigration.core.strategy;

import static dev.livemigration.core.strategy.Runs.ALL_ALLOWED;
import static dev.livemigration.core.strategy.Runs.AUTO_CONVERGE_ALLOWED;
import static dev.livemigration.core.strategy.Runs.BUDGET;
import static dev.livemigration.core.strategy.Runs.NOTHING_ALLOWED;
import static dev.livemigration.core.strategy.Runs.POST_COPY_ALLOWED;
import static dev.livemigration.core.strategy.Runs.input;
import static dev.livemigration.core.strategy.Runs.pass;
import static dev.livemigration.core.strategy.Runs.racing;
import static dev.livemigration.core.strategy.Runs.remaining;
import static dev.livemigration.core.strategy.Runs.replay;
import static dev.livemigration.core.strategy.Runs.throttles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationStrategy;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Strategies")
class StrategiesTest {
  private static final Directive SWITCH = new Directive.SwitchToPostCopy();

  /** Samples for passes {@code from..to}, a guest dirtying memory twice as fast as it is sent. */
  private static List<ProgressSample> racingPasses(long from, long to) {
    return LongStream.rangeClosed(from, to).mapToObj(i -> racing(i, 0)).toList();
  }

  /** Samples for passes {@code 1..passes}, the data remaining falling at every one. */
  private static List<ProgressSample> converging(long passes) {
    return LongStream.rangeClosed(1, passes)
        .mapToObj(i -> remaining(i, 1_000_000 - i * 1_000))
        .toList();
  }

  /** Samples for passes {@code 1..passes}, the data remaining stuck after pass 2. */
  private static List<ProgressSample> stalling(long passes) {
    return LongStream.rangeClosed(1, passes)
        .mapToObj(i -> remaining(i, i <= 2 ? 1_000 - i * 100 : 900))
        .toList();
  }

  @Nested
  @DisplayName("pre-copy")
  class PreCopyStrategy {
    private final MigrationStrategy strategy = Strategies.preCopy();

    @Test
    @DisplayName("is called pre-copy")
    void id() {
      assertThat(strategy.id()).isEqualTo("pre-copy");
    }

    @Test
    @DisplayName("always continues, even when racing, stalled and past half the budget")
    void alwaysContinues() {
      List<ProgressSample> samples = new ArrayList<>(racingPasses(1, 10));
      samples.addAll(stalling(10));

      assertThat(replay(strategy, ALL_ALLOWED, BUDGET, samples)).containsOnly(Directive.CONTINUE);
      assertThat(strategy.decide(input(ALL_ALLOWED, BUDGET, BUDGET, racing(5, 0))))
          .isEqualTo(Directive.CONTINUE);
    }
  }

  @Nested
  @DisplayName("post-copy")
  class PostCopyStrategy {
    private final MigrationStrategy strategy = Strategies.postCopy();

    @Test
    @DisplayName("is called post-copy")
    void id() {
      assertThat(strategy.id()).isEqualTo("post-copy");
    }

    @Test
    @DisplayName("continues in pre-copy until the first full pass over memory has completed")
    void continuesDuringTheFirstPass() {
      assertThat(strategy.decide(input(POST_COPY_ALLOWED, pass(0).build())))
          .isEqualTo(Directive.CONTINUE);
      assertThat(strategy.decide(input(POST_COPY_ALLOWED, pass(0).build(), pass(1).build())))
          .isEqualTo(Directive.CONTINUE);
    }

    @Test
    @DisplayName("switches to post-copy once the latest sample is in pass 2 or later")
    void switchesAfterTheFirstPass() {
      assertThat(strategy.decide(input(POST_COPY_ALLOWED, pass(1).build(), pass(2).build())))
          .isEqualTo(SWITCH);
      assertThat(strategy.decide(input(POST_COPY_ALLOWED, pass(7).build()))).isEqualTo(SWITCH);
    }

    @Test
    @DisplayName("never switches when post-copy is not allowed")
    void neverSwitchesWhenNotAllowed() {
      MigrationConfiguration autoConvergeOnly = AUTO_CONVERGE_ALLOWED;

      assertThat(replay(strategy, NOTHING_ALLOWED, BUDGET, racingPasses(1, 20)))
          .containsOnly(Directive.CONTINUE);
      assertThat(replay(strategy, autoConvergeOnly, BUDGET, racingPasses(1, 20)))
          .containsOnly(Directive.CONTINUE);
    }

    @Test
    @DisplayName("switches once in a replay and continues with nothing after the switch")
    void nothingAfterTheSwitch() {
      List<Directive> directives = replay(strategy, POST_COPY_ALLOWED, BUDGET, racingPasses(1, 8));

      assertThat(directives.get(1)).isEqualTo(SWITCH);
      assertThat(directives).filteredOn(SWITCH::equals).hasSize(1);
      assertThat(directives.subList(2, directives.size())).containsOnly(Directive.CONTINUE);
    }

    @Test
    @DisplayName("continues once the migration is in post-copy")
    void continuesInPostCopy() {
      ProgressSample postCopy = pass(3).mode(MigrationMode.POST_COPY).build();

      assertThat(strategy.decide(input(POST_COPY_ALLOWED, postCopy))).isEqualTo(Directive.CONTINUE);
    }

    @Test
    @DisplayName("continues when the job is no longer active")
    void continuesWhenFinished() {
      ProgressSample done = pass(3).status(ProgressSample.Status.COMPLETED).build();
      ProgressSample failed = pass(3).status(ProgressSample.Status.FAILED).build();

      assertThat(strategy.decide(input(POST_COPY_ALLOWED, done))).isEqualTo(Directive.CONTINUE);
      assertThat(strategy.decide(input(POST_COPY_ALLOWED, failed))).isEqualTo(Directive.CONTINUE);
    }
  }

  @Nested
  @DisplayName("auto-converge")
  class AutoConvergeStrategy {
    private final MigrationStrategy strategy = Strategies.autoConverge();

    @Test
    @DisplayName("is called auto-converge and documents its steps as 20, 10 and 99 percent")
    void idAndConstants() {
      assertThat(strategy.id()).isEqualTo("auto-converge");
      assertThat(Strategies.INITIAL_THROTTLE_PERCENT).isEqualTo(20);
      assertThat(Strategies.THROTTLE_INCREMENT_PERCENT).isEqualTo(10);
      assertThat(Strategies.MAX_THROTTLE_PERCENT).isEqualTo(99);
    }

    @Test
    @DisplayName("throttles 20, 30, ... 90, then 99 and stays at 99, one step per completed pass")
    void stepsUpToTheMaximum() {
      List<Directive> directives =
          replay(strategy, AUTO_CONVERGE_ALLOWED, BUDGET, racingPasses(1, 13));

      assertThat(directives.get(0)).isEqualTo(Directive.CONTINUE);
      assertThat(throttles(directives))
          .containsExactly(20, 30, 40, 50, 60, 70, 80, 90, 99, 99, 99, 99);
    }

    @Test
    @DisplayName("throttles one step further than the latest sample's throttle")
    void stepsFromTheCurrentThrottle() {
      assertThat(strategy.decide(input(AUTO_CONVERGE_ALLOWED, racing(2, 0), racing(3, 0))))
          .isEqualTo(new Directive.Throttle(20));
      assertThat(strategy.decide(input(AUTO_CONVERGE_ALLOWED, racing(2, 20), racing(3, 20))))
          .isEqualTo(new Directive.Throttle(30));
      assertThat(strategy.decide(input(AUTO_CONVERGE_ALLOWED, racing(4, 95), racing(5, 95))))
          .isEqualTo(new Directive.Throttle(99));
      assertThat(strategy.decide(input(AUTO_CONVERGE_ALLOWED, racing(4, 99), racing(5, 99))))
          .isEqualTo(new Directive.Throttle(99));
    }

    @Test
    @DisplayName("never steps below the initial throttle, whoever set the current one")
    void neverBelowTheInitialThrottle() {
      assertThat(strategy.decide(input(AUTO_CONVERGE_ALLOWED, racing(2, 5), racing(3, 5))))
          .isEqualTo(new Directive.Throttle(20));
    }

    @Test
    @DisplayName("throttles only when a pass completes, not on every sample of a pass")
    void onlyWhenAPassCompletes() {
      List<ProgressSample> samples =
          List.of(racing(1, 0), racing(2, 0), racing(2, 0), racing(2, 0), racing(3, 0));

      assertThat(replay(strategy, AUTO_CONVERGE_ALLOWED, BUDGET, samples))
          .containsExactly(
              Directive.CONTINUE,
              new Directive.Throttle(20),
              Directive.CONTINUE,
              Directive.CONTINUE,
              new Directive.Throttle(30));
    }

    @Test
    @DisplayName(
        "does not throttle when the first pass merely starts, nor without a previous sample")
    void notWhenTheFirstPassStarts() {
      assertThat(strategy.decide(input(AUTO_CONVERGE_ALLOWED, racing(0, 0), racing(1, 0))))
          .isEqualTo(Directive.CONTINUE);
      assertThat(strategy.decide(input(AUTO_CONVERGE_ALLOWED, racing(4, 0))))
          .isEqualTo(Directive.CONTINUE);
    }

    @Test
    @DisplayName("throttles when the dirty rate equals the transfer rate")
    void throttlesAtEqualRates() {
      ProgressSample even = pass(3).dirtyRate(100).transferRate(100).build();

      assertThat(strategy.decide(input(AUTO_CONVERGE_ALLOWED, pass(2).build(), even)))
          .isEqualTo(new Directive.Throttle(20));
    }

    @Test
    @DisplayName("does not throttle when the dirty rate is below the transfer rate")
    void notWhenTheTransferKeepsUp() {
      List<ProgressSample> keepingUp =
          LongStream.rangeClosed(1, 10)
              .mapToObj(i -> pass(i).dirtyRate(99).transferRate(100).build())
              .toList();

      assertThat(replay(strategy, AUTO_CONVERGE_ALLOWED, BUDGET, keepingUp))
          .containsOnly(Directive.CONTINUE);
    }

    @Test
    @DisplayName("does not throttle when nothing is measured moving (transfer rate 0)")
    void notWithoutATransferRate() {
      ProgressSample unmeasured = pass(3).dirtyRate(100).transferRate(0).build();

      assertThat(strategy.decide(input(AUTO_CONVERGE_ALLOWED, pass(2).build(), unmeasured)))
          .isEqualTo(Directive.CONTINUE);
    }

    @Test
    @DisplayName("never throttles without allowAutoConverge")
    void notWithoutPermission() {
      assertThat(replay(strategy, NOTHING_ALLOWED, BUDGET, racingPasses(1, 15)))
          .containsOnly(Directive.CONTINUE);
      assertThat(replay(strategy, POST_COPY_ALLOWED, BUDGET, racingPasses(1, 15)))
          .containsOnly(Directive.CONTINUE);
    }

    @Test
    @DisplayName("never throttles in post-copy")
    void notInPostCopy() {
      ProgressSample before = racing(2, 20);
      ProgressSample postCopy =
          ProgressSample.builder().from(racing(3, 20)).mode(MigrationMode.POST_COPY).build();

      assertThat(strategy.decide(input(ALL_ALLOWED, before, postCopy)))
          .isEqualTo(Directive.CONTINUE);
    }

    @Test
    @DisplayName("never switches to post-copy")
    void neverSwitches() {
      assertThat(replay(strategy, ALL_ALLOWED, BUDGET, stalling(20)))
          .containsOnly(Directive.CONTINUE);
    }
  }

  @Nested
  @DisplayName("hybrid")
  class HybridStrategy {
    private final MigrationStrategy strategy = Strategies.hybrid();

    @Test
    @DisplayName("is called hybrid and counts a stall after 3 passes without a new low")
    void idAndConstant() {
      assertThat(strategy.id()).isEqualTo("hybrid");
      assertThat(Strategies.STALL_ITERATIONS).isEqualTo(3);
    }

    @Test
    @DisplayName("switches when the data remaining made no new low for 3 completed passes")
    void switchesOnAStall() {
      ProgressSample[] samples = {
        remaining(1, 1_000), remaining(2, 500), remaining(3, 600), remaining(4, 550)
      };
      assertThat(strategy.decide(input(POST_COPY_ALLOWED, samples))).isEqualTo(Directive.CONTINUE);

      ProgressSample[] oneMore = {
        remaining(1, 1_000),
        remaining(2, 500),
        remaining(3, 600),
        remaining(4, 550),
        remaining(5, 700)
      };
      assertThat(strategy.decide(input(POST_COPY_ALLOWED, oneMore))).isEqualTo(SWITCH);
    }

    @Test
    @DisplayName("counts only a strictly lower data remaining as a new low-water mark")
    void aTieIsNoNewLow() {
      ProgressSample[] flat = {
        remaining(2, 500), remaining(3, 500), remaining(4, 500), remaining(5, 500)
      };

      assertThat(strategy.decide(input(POST_COPY_ALLOWED, flat))).isEqualTo(SWITCH);
    }

    @Test
    @DisplayName("does not switch while the data remaining keeps falling")
    void notWhileConverging() {
      assertThat(replay(strategy, POST_COPY_ALLOWED, BUDGET, converging(40)))
          .containsOnly(Directive.CONTINUE);
    }

    @Test
    @DisplayName("does not switch when a new low came within the last 3 passes")
    void notAfterARecentLow() {
      ProgressSample[] samples = {
        remaining(1, 900),
        remaining(2, 950),
        remaining(3, 990),
        remaining(4, 800),
        remaining(5, 850),
        remaining(6, 870)
      };

      assertThat(strategy.decide(input(POST_COPY_ALLOWED, samples))).isEqualTo(Directive.CONTINUE);
    }

    @Test
    @DisplayName("switches in a replay at the third pass without a new low, then does nothing")
    void nothingAfterTheSwitch() {
      List<Directive> directives = replay(strategy, POST_COPY_ALLOWED, BUDGET, stalling(12));

      // the low of 800 came in pass 2; pass 5 is 3 passes later
      assertThat(directives.subList(0, 4)).containsOnly(Directive.CONTINUE);
      assertThat(directives.get(4)).isEqualTo(SWITCH);
      assertThat(directives.subList(5, directives.size())).containsOnly(Directive.CONTINUE);
    }

    @Test
    @DisplayName("switches once half the completion budget is used, not a nanosecond before")
    void switchesAtHalfTheBudget() {
      ProgressSample sample = remaining(1, 1_000);
      Duration half = BUDGET.dividedBy(2);

      assertThat(strategy.decide(input(POST_COPY_ALLOWED, half, BUDGET, sample))).isEqualTo(SWITCH);
      assertThat(strategy.decide(input(POST_COPY_ALLOWED, BUDGET, BUDGET, sample)))
          .isEqualTo(SWITCH);
      assertThat(strategy.decide(input(POST_COPY_ALLOWED, half.minusNanos(1), BUDGET, sample)))
          .isEqualTo(Directive.CONTINUE);
    }

    @Test
    @DisplayName("compares twice the elapsed time with an odd budget exactly")
    void oddBudget() {
      ProgressSample sample = remaining(1, 1_000);
      Duration budget = Duration.ofNanos(7);

      assertThat(strategy.decide(input(POST_COPY_ALLOWED, Duration.ofNanos(3), budget, sample)))
          .isEqualTo(Directive.CONTINUE);
      assertThat(strategy.decide(input(POST_COPY_ALLOWED, Duration.ofNanos(4), budget, sample)))
          .isEqualTo(SWITCH);
    }

    @Test
    @DisplayName("never switches when post-copy is not allowed, stalled or past half the budget")
    void notWithoutPermission() {
      assertThat(replay(strategy, AUTO_CONVERGE_ALLOWED, BUDGET, stalling(20)))
          .containsOnly(Directive.CONTINUE);
      assertThat(
              strategy.decide(
                  input(
                      NOTHING_ALLOWED, BUDGET, BUDGET, stalling(8).toArray(ProgressSample[]::new))))
          .isEqualTo(Directive.CONTINUE);
    }

    @Test
    @DisplayName("continues once the migration is in post-copy")
    void continuesInPostCopy() {
      List<ProgressSample> samples = new ArrayList<>(stalling(7));
      samples.add(
          ProgressSample.builder().from(remaining(8, 900)).mode(MigrationMode.POST_COPY).build());

      assertThat(
              strategy.decide(
                  input(POST_COPY_ALLOWED, BUDGET, BUDGET, samples.toArray(ProgressSample[]::new))))
          .isEqualTo(Directive.CONTINUE);
    }

    @Test
    @DisplayName("never throttles")
    void neverThrottles() {
      assertThat(replay(strategy, AUTO_CONVERGE_ALLOWED, BUDGET, racingPasses(1, 20)))
          .containsOnly(Directive.CONTINUE);
    }
  }

  @Nested
  @DisplayName("kubevirt")
  class KubeVirtDefaultStrategy {
    private final MigrationStrategy strategy = Strategies.kubeVirtDefault();

    @Test
    @DisplayName("is called kubevirt and is auto-converge or else pre-copy")
    void idAndComposition() {
      assertThat(strategy.id()).isEqualTo("kubevirt");
      assertThat(strategy)
          .isEqualTo(new KubeVirtDefault(Strategies.autoConverge(), Strategies.preCopy()));
    }

    @Test
    @DisplayName("throttles like auto-converge when allowAutoConverge")
    void throttlesLikeAutoConverge() {
      List<ProgressSample> samples = racingPasses(1, 13);

      assertThat(replay(strategy, ALL_ALLOWED, BUDGET, samples))
          .isEqualTo(replay(Strategies.autoConverge(), ALL_ALLOWED, BUDGET, samples));
      assertThat(throttles(replay(strategy, AUTO_CONVERGE_ALLOWED, BUDGET, samples)))
          .containsExactly(20, 30, 40, 50, 60, 70, 80, 90, 99, 99, 99, 99);
    }

    @Test
    @DisplayName(
        "only continues otherwise, leaving the post-copy switch at the timeout to the engine")
    void preCopyOtherwise() {
      List<ProgressSample> samples = new ArrayList<>(racingPasses(1, 10));
      samples.addAll(stalling(10));

      assertThat(replay(strategy, POST_COPY_ALLOWED, BUDGET, samples))
          .containsOnly(Directive.CONTINUE);
      assertThat(replay(strategy, NOTHING_ALLOWED, BUDGET, samples))
          .containsOnly(Directive.CONTINUE);
      assertThat(strategy.decide(input(POST_COPY_ALLOWED, BUDGET, BUDGET, racing(9, 0))))
          .isEqualTo(Directive.CONTINUE);
    }
  }

  @Nested
  @DisplayName("lookup by id")
  class Lookup {

    @Test
    @DisplayName("lists the built-ins in a fixed order")
    void ids() {
      assertThat(Strategies.ids())
          .containsExactly("pre-copy", "post-copy", "auto-converge", "hybrid", "kubevirt");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"pre-copy", "post-copy", "auto-converge", "hybrid", "kubevirt"})
    @DisplayName("finds each built-in by its id")
    void findsEach(String id) {
      assertThat(Strategies.byId(id).id()).isEqualTo(id);
    }

    @Test
    @DisplayName("returns the same strategies as the factories")
    void sameAsFactories() {
      assertThat(Strategies.byId("pre-copy")).isEqualTo(Strategies.preCopy());
      assertThat(Strategies.byId("post-copy")).isEqualTo(Strategies.postCopy());
      assertThat(Strategies.byId("auto-converge")).isEqualTo(Strategies.autoConverge());
      assertThat(Strategies.byId("hybrid")).isEqualTo(Strategies.hybrid());
      assertThat(Strategies.byId("kubevirt")).isEqualTo(Strategies.kubeVirtDefault());
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"x", "", "Pre-Copy", "precopy", " hybrid"})
    @DisplayName("rejects any other id, naming the choices")
    void rejectsUnknown(String id) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Strategies.byId(id))
          .withMessage(
              "strategy must be one of pre-copy, post-copy, auto-converge, hybrid, kubevirt,"
                  + " but was '"
                  + id
                  + "'");
    }

    @Test
    @DisplayName("has no instances")
    void noInstances() throws NoSuchMethodException {
      assertThat(Modifier.isFinal(Strategies.class.getModifiers())).isTrue();
      assertThat(Strategies.class.getDeclaredConstructors())
          .allSatisfy(c -> assertThat(Modifier.isPrivate(c.getModifiers())).isTrue());
    }
  }
}
