package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressEstimate;
import dev.livemigration.api.ProgressSample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.statistics.Statistics;

/** What the progress estimate promises, over generated sample sequences. */
@Label("The progress estimate")
class ProgressEstimatorProperties {
  private static final long MIB = 1L << 20;

  /** One sample of a random sequence: bytes moved since the one before, and the rest. */
  record Step(long sent, long remaining, long dirty, long rate, MigrationMode mode) {}

  @Provide
  Arbitrary<List<Step>> anySteps() {
    Arbitrary<Step> step =
        Combinators.combine(
                Arbitraries.longs().between(0, 256 * MIB),
                Arbitraries.longs().between(0, 4096 * MIB),
                Arbitraries.longs().between(0, 256 * MIB),
                Arbitraries.oneOf(Arbitraries.just(0L), Arbitraries.longs().between(1, 256 * MIB)),
                Arbitraries.frequencyOf(
                    Tuple.of(8, Arbitraries.just(MigrationMode.PRE_COPY)),
                    Tuple.of(1, Arbitraries.just(MigrationMode.PAUSED)),
                    Tuple.of(2, Arbitraries.just(MigrationMode.POST_COPY))))
            .as(Step::new);
    return step.list().ofMinSize(1).ofMaxSize(60);
  }

  @Property(tries = 500)
  @Label("the percentage never goes backwards and reaches 100 only at completion")
  void percentNeverBackwards(@ForAll("anySteps") List<Step> steps) {
    ProgressEstimator estimator = new ProgressEstimator();
    long processed = 0;
    int last = 0;
    for (Step step : steps) {
      processed += step.sent();
      ProgressEstimate estimate = estimator.next(sample(step, processed));
      assertThat(estimate.percent()).isGreaterThanOrEqualTo(last).isLessThan(100);
      last = estimate.percent();
    }
    ProgressEstimate done =
        estimator.next(
            ProgressSample.builder()
                .dataProcessed(processed)
                .status(ProgressSample.Status.COMPLETED)
                .build());
    assertThat(done.percent()).isEqualTo(100);
    assertThat(done.timeRemaining()).isEmpty();
  }

  @Property(tries = 500)
  @Label("the time remaining rises only when the projected total grows or the smoothed rate falls")
  void timeRemainingRisesOnlyWhenTheProjectionGrows(@ForAll("anySteps") List<Step> steps) {
    ProgressEstimator estimator = new ProgressEstimator();
    long processed = 0;
    Duration before = null;
    double totalBefore = 0;
    double rateBefore = 0;
    for (Step step : steps) {
      processed += step.sent();
      Duration now = estimator.next(sample(step, processed)).timeRemaining().orElse(null);
      if (now == null) {
        continue;
      }
      boolean projectionGrew =
          estimator.projectedTotal() > totalBefore || estimator.smoothedRate() < rateBefore;
      if (before != null && !projectionGrew) {
        assertThat(now).as("after %s", step).isLessThanOrEqualTo(before);
      }
      before = now;
      totalBefore = estimator.projectedTotal();
      rateBefore = estimator.smoothedRate();
    }
  }

  @Property(tries = 300)
  @Label(
      "at steady rates the time remaining counts down with the clock through every pass boundary")
  void steadyPasses(
      @ForAll @LongRange(min = 64, max = 4096) long firstPassMib,
      @ForAll @DoubleRange(min = 0, max = 0.95) double ratio,
      @ForAll @IntRange(min = 5, max = 200) int seconds) {
    double first = firstPassMib * MIB;
    long rate = (long) Math.ceil(first / (1 - ratio) / seconds);
    long dirty = (long) Math.floor(ratio * rate);
    double r = (double) dirty / rate;
    // The passes as the guest makes them: each one what the guest dirtied during the one before.
    List<Double> passEnds = new ArrayList<>();
    double end = 0;
    for (double pass = first; pass >= 1 && passEnds.size() < 10_000; pass *= r) {
      end += pass;
      passEnds.add(end);
    }
    ProgressEstimator estimator = new ProgressEstimator();
    Duration before = null;
    double projectedEnd = Double.NaN;
    int boundaries = 0;
    long lastRemaining = 0;
    for (int t = 0; ; t++) {
      long processed = (long) t * rate;
      int pass = 0;
      while (pass < passEnds.size() && passEnds.get(pass) <= processed) {
        pass++;
      }
      if (pass == passEnds.size()) {
        break;
      }
      long remaining = (long) Math.ceil(passEnds.get(pass) - processed);
      if (t > 0 && remaining > lastRemaining) {
        boundaries++;
      }
      lastRemaining = remaining;
      ProgressSample sample =
          ProgressSample.builder()
              .dataProcessed(processed)
              .dataRemaining(remaining)
              .dirtyRate(dirty)
              .transferRate(rate)
              .iteration(pass + 1)
              .build();
      Duration now = estimator.next(sample).timeRemaining().orElseThrow();
      if (before != null) {
        // A byte of rounding in a pass's size is at most a few nanoseconds at these rates.
        assertThat(now)
            .as("second %d, pass %d", t, pass + 1)
            .isLessThanOrEqualTo(before.plusMillis(1));
      }
      double projected = t + now.toNanos() / 1e9;
      if (Double.isNaN(projectedEnd)) {
        projectedEnd = projected;
      }
      assertThat(projected)
          .as("projected end at second %d", t)
          .isCloseTo(projectedEnd, offset(0.01));
      before = now;
    }
    // Sequences without a boundary cannot tell this estimate from rest over rate.
    Statistics.label("crosses a pass boundary").collect(boundaries > 0);
    Statistics.label("crosses a pass boundary")
        .coverage(coverage -> coverage.check(true).percentage(p -> p > 30));
  }

  private static ProgressSample sample(Step step, long processed) {
    return ProgressSample.builder()
        .dataTotal(4096 * MIB)
        .dataProcessed(processed)
        .dataRemaining(step.remaining())
        .dirtyRate(step.dirty())
        .transferRate(step.rate())
        .mode(step.mode())
        .iteration(1)
        .build();
  }
}
