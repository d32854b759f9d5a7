package dev.livemigration.core.strategy;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.StrategyInput;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Hand-built inputs and a replay of sample sequences through a strategy, for the tests. */
final class Runs {
  static final MigrationConfiguration NOTHING_ALLOWED = MigrationConfiguration.defaults();
  static final MigrationConfiguration POST_COPY_ALLOWED =
      MigrationConfiguration.builder().allowPostCopy(true).build();
  static final MigrationConfiguration AUTO_CONVERGE_ALLOWED =
      MigrationConfiguration.builder().allowAutoConverge(true).build();
  static final MigrationConfiguration ALL_ALLOWED =
      MigrationConfiguration.builder().allowAutoConverge(true).allowPostCopy(true).build();

  /** The completion budget of an 8 GiB guest at KubeVirt's default 800 s per GiB. */
  static final Duration BUDGET = Duration.ofSeconds(6400);

  /** How many earlier samples a replay keeps as history. */
  static final int HISTORY_LIMIT = 16;

  private Runs() {}

  /** Returns a builder for an active pre-copy sample in the given pass. */
  static ProgressSample.Builder pass(long iteration) {
    return ProgressSample.builder().iteration(iteration);
  }

  /** Returns a sample in the given pass with the given data remaining. */
  static ProgressSample remaining(long iteration, long dataRemaining) {
    return pass(iteration).dataRemaining(dataRemaining).build();
  }

  /** Returns a sample in the given pass whose guest dirties memory as fast as it is sent. */
  static ProgressSample racing(long iteration, int throttlePercent) {
    return pass(iteration)
        .dirtyRate(200)
        .transferRate(100)
        .throttlePercent(throttlePercent)
        .build();
  }

  /** Returns an input whose latest sample is the last one, early in the budget. */
  static StrategyInput input(MigrationConfiguration config, ProgressSample... samples) {
    return input(config, Duration.ZERO, BUDGET, samples);
  }

  /** Returns an input whose latest sample is the last one. */
  static StrategyInput input(
      MigrationConfiguration config, Duration elapsed, Duration budget, ProgressSample... samples) {
    List<ProgressSample> all = Arrays.asList(samples);
    return new StrategyInput(
        all.get(all.size() - 1), all.subList(0, all.size() - 1), config, elapsed, budget);
  }

  /**
   * Replays samples through a strategy as an engine would: each sample after a throttle carries
   * that throttle, each sample after a switch is in post-copy (refused directives are not applied),
   * and the history keeps the last {@link #HISTORY_LIMIT} samples the strategy saw. Returns the
   * directive for each sample.
   */
  static List<Directive> replay(
      MigrationStrategy strategy,
      MigrationConfiguration config,
      Duration budget,
      List<ProgressSample> samples) {
    List<Directive> directives = new ArrayList<>();
    List<ProgressSample> history = new ArrayList<>();
    int throttle = 0;
    MigrationMode mode = MigrationMode.PRE_COPY;
    for (ProgressSample raw : samples) {
      ProgressSample seen =
          ProgressSample.builder().from(raw).throttlePercent(throttle).mode(mode).build();
      Directive directive =
          strategy.decide(new StrategyInput(seen, history, config, seen.elapsed(), budget));
      directives.add(directive);
      if (directive instanceof Directive.Throttle t && config.allowAutoConverge()) {
        throttle = t.percent();
      } else if (directive instanceof Directive.SwitchToPostCopy && config.allowPostCopy()) {
        mode = MigrationMode.POST_COPY;
      }
      history.add(seen);
      if (history.size() > HISTORY_LIMIT) {
        history.remove(0);
      }
    }
    return directives;
  }

  /** Returns the percentages of the throttles among the directives, in order. */
  static List<Integer> throttles(List<Directive> directives) {
    return directives.stream()
        .filter(Directive.Throttle.class::isInstance)
        .map(d -> ((Directive.Throttle) d).percent())
        .toList();
  }
}
