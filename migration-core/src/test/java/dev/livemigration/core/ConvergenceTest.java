package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.StallDetector;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.LongFunction;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The stall rule against curves of the data remaining, one sample a second in virtual time: the
 * converging ones are never stalled whatever their pass length, the stuck ones are stalled no later
 * than the patience after they stopped converging.
 */
@DisplayName("The stall rule")
class ConvergenceTest {
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;
  private static final Instant T0 = Instant.parse("2026-12-02T00:00:00Z");
  private static final Duration PATIENCE = Duration.ofSeconds(150);

  /**
   * Feeds the curve's samples at t = 1, 2, … s until it completes or {@code seconds} passed;
   * returns the second at which the rule first called it stalled.
   */
  private static Optional<Long> stalledAt(
      LongFunction<Optional<RemainderCurves.Point>> curve, long seconds, long bandwidth) {
    Convergence rule =
        new Convergence(Convergence.DEFAULT_MARGIN_PERCENT, PATIENCE, "progressTimeout", T0);
    for (long t = 1; t <= seconds; t++) {
      Optional<RemainderCurves.Point> point = curve.apply(t);
      if (point.isEmpty()) {
        return Optional.empty();
      }
      Instant now = T0.plusSeconds(t);
      rule.observe(
          ProgressSample.builder()
              .dataTotal(16 * GIB)
              .dataRemaining(point.get().remaining())
              .iteration(point.get().iteration())
              .transferRate(bandwidth)
              .build(),
          now);
      if (rule.stalled(now)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  @Test
  @DisplayName("never stalls a 16 GiB guest whose passes shrink by 40 %, done at about 640 s")
  void longShrinkingPasses() {
    long bandwidth = 16 * GIB / 255; // pass 1 takes 255 s, pass 2 153 s
    var curve = RemainderCurves.shrinkingPasses(16 * GIB, 0.6, bandwidth, Duration.ofMillis(900));

    assertThat(stalledAt(curve, 10_000, bandwidth)).isEmpty();
    long done = 1;
    while (curve.apply(done).isPresent()) {
      done++;
    }
    assertThat(done).isBetween(600L, 700L);
    // KubeVirt's low-water mark sees no new low in pass 2: it would abort at 255 + 150 s.
    assertThat(curve.apply(256).orElseThrow().remaining())
        .isGreaterThan(curve.apply(254).orElseThrow().remaining());
  }

  @Test
  @DisplayName("never stalls one pass of 1000 s over a slow link")
  void oneVeryLongPass() {
    long bandwidth = 16 * MIB;
    var curve = RemainderCurves.shrinkingPasses(16 * GIB, 0.01, bandwidth, Duration.ofMillis(900));

    assertThat(stalledAt(curve, 2_000, bandwidth)).isEmpty();
  }

  @Test
  @DisplayName("never stalls a sawtooth whose pass starts trend down by 5 % a pass")
  void sawtoothTrendingDown() {
    long bandwidth = 64 * MIB;
    // Passes of 60 s whose remainder falls to a quarter and whose starts fall 5 % a pass.
    LongFunction<Optional<RemainderCurves.Point>> curve =
        t -> {
          long pass = t / 60 + 1;
          double start = 4.0 * GIB * Math.pow(0.95, pass - 1);
          double within = (t % 60) / 60.0;
          return Optional.of(new RemainderCurves.Point((long) (start * (1 - 0.75 * within)), pass));
        };

    assertThat(stalledAt(curve, 3_000, bandwidth)).isEmpty();
  }

  @Test
  @DisplayName("stalls a plateau 150 s after the first sample")
  void plateau() {
    LongFunction<Optional<RemainderCurves.Point>> curve =
        t -> Optional.of(new RemainderCurves.Point(8 * GIB, t / 16 + 1));

    assertThat(stalledAt(curve, 1_000, 64 * MIB)).contains(151L);
  }

  @Test
  @DisplayName("stalls a sawtooth without a downward trend 150 s after its last converging pass")
  void sawtoothWithoutTrend() {
    // Every pass starts at 4 GiB and falls to 0.5 GiB in 60 s: pass 1 converges, pass 2 does not.
    LongFunction<Optional<RemainderCurves.Point>> curve =
        t ->
            Optional.of(
                new RemainderCurves.Point(
                    (long) (4.0 * GIB * (1 - 0.875 * (t % 60) / 60.0)), t / 60 + 1));

    Optional<Long> stalled = stalledAt(curve, 1_000, 64 * MIB);
    assertThat(stalled).isPresent();
    assertThat(stalled.get()).isBetween(150L, 60 + 150L);
  }

  @Test
  @DisplayName("stalls a guest that dirties faster than the link, once its working set is full")
  void dirtyFasterThanBandwidth() {
    // 4 GiB sent at 64 MiB/s while the guest dirties 96 MiB/s of a 3 GiB working set: pass 2
    // starts at the full set (converging against pass 1), pass 3 and later at the full set again.
    long bandwidth = 64 * MIB;
    long set = 3 * GIB;
    LongFunction<Optional<RemainderCurves.Point>> curve =
        t -> {
          long pass1 = 4 * GIB / bandwidth; // 64 s
          long passN = set / bandwidth; // 48 s
          if (t < pass1) {
            return Optional.of(new RemainderCurves.Point(4 * GIB - bandwidth * t, 1));
          }
          long after = t - pass1;
          return Optional.of(
              new RemainderCurves.Point(set - bandwidth * (after % passN), 2 + after / passN));
        };

    Optional<Long> stalled = stalledAt(curve, 1_000, bandwidth);
    long stoppedConverging = 64 + 48; // the end of pass 2
    assertThat(stalled).isPresent();
    assertThat(stalled.get()).isLessThanOrEqualTo(stoppedConverging + 150);
  }

  @Test
  @DisplayName("stalls a remainder that creeps down by a byte every 100 s")
  void creepingByAByte() {
    LongFunction<Optional<RemainderCurves.Point>> curve =
        t -> Optional.of(new RemainderCurves.Point(GIB - t / 100, 1));

    assertThat(stalledAt(curve, 1_000, 64 * MIB)).contains(151L);
  }

  @Test
  @DisplayName("reads passes from a rising remainder when the backend does not count them")
  void passesWithoutIterations() {
    // The sawtooth without a trend, from a backend that reports pass 0 throughout.
    LongFunction<Optional<RemainderCurves.Point>> curve =
        t ->
            Optional.of(
                new RemainderCurves.Point((long) (4.0 * GIB * (1 - 0.875 * (t % 60) / 60.0)), 0));

    assertThat(stalledAt(curve, 1_000, 64 * MIB))
        .hasValueSatisfying(t -> assertThat(t).isLessThan(211));
  }

  @Test
  @DisplayName("says which pass failed to fall below which, with the rates")
  void describesTheStall() {
    Convergence rule = new Convergence(4, Duration.ofSeconds(40), "stallProgressTimeout", T0);
    for (long t = 1; t <= 100; t++) {
      rule.observe(
          ProgressSample.builder()
              .dataRemaining((long) (GIB * (1 - 0.5 * (t % 30) / 30.0)))
              .iteration(t / 30 + 1)
              .dirtyRate(96 * MIB)
              .transferRate(64 * MIB)
              .build(),
          T0.plusSeconds(t));
    }

    assertThat(rule.stalled(T0.plusSeconds(100))).isTrue();
    assertThat(
            rule.describe(
                ProgressSample.builder().dirtyRate(96 * MIB).transferRate(64 * MIB).build(),
                T0.plusSeconds(100)))
        .contains("stallProgressTimeout 40 s")
        .contains(
            "pass 4 started at 1024.0 MiB, not 4 % below the 1006.9 MiB at which pass 1 started")
        .contains("dirties 96.0 MiB/s while 64.0 MiB/s are sent");
  }

  @Test
  @DisplayName(
      "takes KubeVirt's stallMargin and stallProgressTimeout when the stall detector is set")
  void stallDetectorSettings() {
    MigrationConfiguration configuration =
        MigrationConfiguration.builder()
            .experimental(
                ExperimentalMigrationOptions.builder()
                    .stallDetector(
                        StallDetector.builder()
                            .stallMargin(10)
                            .stallProgressTimeout(Duration.ofSeconds(30))
                            .build())
                    .build())
            .build();
    Convergence rule = Convergence.of(configuration, T0);

    assertThat(rule.patience()).isEqualTo(Duration.ofSeconds(30));
    // A 5 % fall is below the 10 % margin: no progress.
    rule.observe(ProgressSample.builder().dataRemaining(1000).iteration(1).build(), T0);
    rule.observe(
        ProgressSample.builder().dataRemaining(950).iteration(1).build(), T0.plusSeconds(29));
    assertThat(rule.stalled(T0.plusSeconds(30))).isTrue();
    assertThat(Convergence.of(MigrationConfiguration.builder().build(), T0).patience())
        .isEqualTo(Duration.ofSeconds(150));
  }
}
