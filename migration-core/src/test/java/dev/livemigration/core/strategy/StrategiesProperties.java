package dev.livemigration.core.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.StrategyInput;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/** Properties every built-in strategy keeps, over random samples and configurations. */
class StrategiesProperties {

  @Property
  @Label("never throttles without allowAutoConverge")
  void noThrottleWithoutPermission(
      @ForAll("strategies") MigrationStrategy strategy, @ForAll("inputs") StrategyInput input) {
    Directive directive = strategy.decide(input);

    if (!input.configuration().allowAutoConverge()) {
      assertThat(directive).isNotInstanceOf(Directive.Throttle.class);
    }
  }

  @Property
  @Label("never switches to post-copy without allowPostCopy")
  void noSwitchWithoutPermission(
      @ForAll("strategies") MigrationStrategy strategy, @ForAll("inputs") StrategyInput input) {
    Directive directive = strategy.decide(input);

    if (!input.configuration().allowPostCopy()) {
      assertThat(directive).isNotInstanceOf(Directive.SwitchToPostCopy.class);
    }
  }

  @Property
  @Label("only continues in post-copy or once the job is no longer active")
  void onlyContinuesInPostCopy(
      @ForAll("strategies") MigrationStrategy strategy, @ForAll("inputs") StrategyInput input) {
    Directive directive = strategy.decide(input);

    if (input.latest().mode() == MigrationMode.POST_COPY
        || input.latest().status() != ProgressSample.Status.ACTIVE) {
      assertThat(directive).isEqualTo(Directive.CONTINUE);
    }
  }

  @Property
  @Label("only continues, throttles or switches: timeouts and aborts are the engine's")
  void onlyItsOwnDirectives(
      @ForAll("strategies") MigrationStrategy strategy, @ForAll("inputs") StrategyInput input) {
    Directive directive = strategy.decide(input);

    assertThat(directive)
        .isInstanceOfAny(
            Directive.Continue.class, Directive.Throttle.class, Directive.SwitchToPostCopy.class);
    Statistics.label("directive").collect(directive.getClass().getSimpleName());
    Statistics.label("directive")
        .coverage(
            coverage -> {
              coverage.check("Continue").percentage(p -> p > 50);
              coverage.check("Throttle").count(n -> n > 0);
              coverage.check("SwitchToPostCopy").count(n -> n > 0);
            });
  }

  @Property
  @Label("throttles within 20..99 and never below the latest sample's throttle")
  void throttleWithinRangeAndNotLower(
      @ForAll("strategies") MigrationStrategy strategy, @ForAll("inputs") StrategyInput input) {
    if (strategy.decide(input) instanceof Directive.Throttle throttle) {
      assertThat(throttle.percent())
          .isBetween(Strategies.INITIAL_THROTTLE_PERCENT, Strategies.MAX_THROTTLE_PERCENT)
          .isGreaterThanOrEqualTo(input.latest().throttlePercent());
    }
  }

  @Property
  @Label("decides the same for the same input")
  void pure(
      @ForAll("strategies") MigrationStrategy strategy, @ForAll("inputs") StrategyInput input) {
    assertThat(strategy.decide(input)).isEqualTo(strategy.decide(input));
  }

  @Property
  @Label("over a replayed migration, throttles rise within 20..99 and nothing follows the switch")
  void replayedThrottlesNeverDecrease(
      @ForAll("strategies") MigrationStrategy strategy,
      @ForAll("configurations") MigrationConfiguration config,
      @ForAll("runs") List<ProgressSample> run) {
    List<Directive> directives = Runs.replay(strategy, config, Runs.BUDGET, run);

    List<Integer> throttles = Runs.throttles(directives);
    Statistics.label("throttled").collect(!throttles.isEmpty());
    Statistics.label("throttled").coverage(coverage -> coverage.check(true).count(n -> n > 0));
    assertThat(throttles)
        .allSatisfy(
            p ->
                assertThat(p)
                    .isBetween(
                        Strategies.INITIAL_THROTTLE_PERCENT, Strategies.MAX_THROTTLE_PERCENT))
        .isSorted();
    int switched = directives.indexOf(new Directive.SwitchToPostCopy());
    if (switched >= 0 && config.allowPostCopy()) {
      assertThat(directives.subList(switched + 1, directives.size()))
          .allSatisfy(d -> assertThat(d).isEqualTo(Directive.CONTINUE));
    }
  }

  @Provide
  Arbitrary<MigrationStrategy> strategies() {
    return Arbitraries.of(Strategies.ids()).map(Strategies::byId);
  }

  @Provide
  Arbitrary<MigrationConfiguration> configurations() {
    return Combinators.combine(Arbitraries.of(true, false), Arbitraries.of(true, false))
        .as(
            (autoConverge, postCopy) ->
                MigrationConfiguration.builder()
                    .allowAutoConverge(autoConverge)
                    .allowPostCopy(postCopy)
                    .build());
  }

  @Provide
  Arbitrary<StrategyInput> inputs() {
    Arbitrary<Duration> seconds = Arbitraries.longs().between(0, 10_000).map(Duration::ofSeconds);
    return Combinators.combine(
            samples(), samples().list().ofMaxSize(12), configurations(), seconds, seconds)
        .as(StrategyInput::new);
  }

  /**
   * Any sample, mostly active and in pre-copy: all fields random within their documented ranges.
   */
  private Arbitrary<ProgressSample> samples() {
    return Builders.withBuilder(ProgressSample::builder)
        .use(
            Arbitraries.frequency(
                Tuple.of(8, ProgressSample.Status.ACTIVE),
                Tuple.of(1, ProgressSample.Status.COMPLETED),
                Tuple.of(1, ProgressSample.Status.FAILED)))
        .in((b, v) -> b.status(v))
        .use(Arbitraries.longs().between(0, 20))
        .in((b, v) -> b.iteration(v))
        .use(Arbitraries.longs().between(0, 1_000))
        .in((b, v) -> b.dataRemaining(v))
        .use(Arbitraries.longs().between(0, 300))
        .in((b, v) -> b.dirtyRate(v))
        .use(Arbitraries.longs().between(0, 300))
        .in((b, v) -> b.transferRate(v))
        .use(
            Arbitraries.frequency(
                Tuple.of(3, MigrationMode.PRE_COPY), Tuple.of(1, MigrationMode.POST_COPY)))
        .in((b, v) -> b.mode(v))
        .use(Arbitraries.integers().between(0, 99))
        .in((b, v) -> b.throttlePercent(v))
        .build(ProgressSample.Builder::build);
  }

  /**
   * A migration as a backend reports it: active pre-copy samples whose pass number never falls and
   * whose elapsed time grows, with random data remaining and rates (the replay adds the mode and
   * throttle).
   */
  @Provide
  Arbitrary<List<ProgressSample>> runs() {
    Arbitrary<long[]> step =
        Combinators.combine(
                Arbitraries.longs().between(0, 2),
                Arbitraries.longs().between(0, 1_000),
                Arbitraries.longs().between(0, 300),
                Arbitraries.longs().between(0, 300),
                Arbitraries.longs().between(0, 600))
            .as(
                (pass, remaining, dirty, transfer, seconds) ->
                    new long[] {pass, remaining, dirty, transfer, seconds});
    return step.list()
        .ofMaxSize(60)
        .map(
            steps -> {
              List<ProgressSample> samples = new ArrayList<>();
              long iteration = 0;
              long elapsed = 0;
              for (long[] s : steps) {
                iteration += s[0];
                elapsed += s[4];
                samples.add(
                    ProgressSample.builder()
                        .iteration(iteration)
                        .dataRemaining(s[1])
                        .dirtyRate(s[2])
                        .transferRate(s[3])
                        .elapsed(Duration.ofSeconds(elapsed))
                        .build());
              }
              return samples;
            });
  }
}
