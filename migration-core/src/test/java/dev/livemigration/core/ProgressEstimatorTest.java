package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressEstimate;
import dev.livemigration.api.ProgressSample;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The progress estimate")
class ProgressEstimatorTest {
  private static final long MIB = 1L << 20;

  private static ProgressSample sample(long processed, long remaining, long dirty) {
    return ProgressSample.builder()
        .dataTotal(1024 * MIB)
        .dataProcessed(processed)
        .dataRemaining(remaining)
        .dirtyRate(dirty)
        .transferRate(64 * MIB)
        .iteration(1)
        .build();
  }

  @Test
  @DisplayName("never runs backwards while the remainder jumps up at each pass")
  void monotone() {
    ProgressEstimator estimator = new ProgressEstimator();
    int last = 0;
    // Passes of 1 GiB, 600 MiB, 360 MiB…: the remainder falls through a pass, then jumps up.
    long processed = 0;
    long pass = 1024 * MIB;
    for (int p = 0; p < 6; p++) {
      for (long left = pass; left > 0; left -= 16 * MIB) {
        ProgressEstimate estimate = estimator.next(sample(processed, left, 38 * MIB));
        assertThat(estimate.percent()).isGreaterThanOrEqualTo(last).isLessThan(100);
        last = estimate.percent();
        processed += 16 * MIB;
      }
      pass = pass * 6 / 10;
    }
    assertThat(last).isGreaterThan(50);
    ProgressEstimate done =
        estimator.next(
            ProgressSample.builder()
                .from(sample(processed, 0, 0))
                .status(ProgressSample.Status.COMPLETED)
                .build());
    assertThat(done.percent()).isEqualTo(100);
    assertThat(done.timeRemaining()).isEmpty();
  }

  @Test
  @DisplayName("with a downtime limit, projects the passes only up to the one that fits it")
  void passesEndAtTheLimit() {
    // 640 MiB at 64 MiB/s with the guest dirtying 32 MiB/s: passes of 640, 320, 160, 80, 40 MiB.
    // A 1 s limit fits 64 MiB, so the 40 MiB pass is the last: 1240 MiB in all, not 1280.
    ProgressEstimator estimator = new ProgressEstimator();
    ProgressEstimate limited =
        estimator.next(sample(0, 640 * MIB, 32 * MIB), Duration.ofSeconds(1));
    assertThat(estimator.projectedTotal()).isEqualTo(1240.0 * MIB);
    assertThat(limited.timeRemaining()).contains(Duration.ofMillis(19_375));

    // A rest that already fits is the last pass; without a limit the series has no end.
    ProgressEstimator fits = new ProgressEstimator();
    fits.next(sample(0, 48 * MIB, 32 * MIB), Duration.ofSeconds(1));
    assertThat(fits.projectedTotal()).isEqualTo(48.0 * MIB);
    ProgressEstimator endless = new ProgressEstimator();
    endless.next(sample(0, 640 * MIB, 32 * MIB));
    assertThat(endless.projectedTotal()).isEqualTo(1280.0 * MIB);
  }

  @Test
  @DisplayName("projects the passes to come, and the pause of the next switch-over")
  void projection() {
    ProgressEstimate estimate = new ProgressEstimator().next(sample(0, 640 * MIB, 32 * MIB));

    // 640 MiB plus its geometric tail at half the rate: 1280 MiB at 64 MiB/s.
    assertThat(estimate.timeRemaining()).contains(Duration.ofSeconds(20));
    // What the guest dirties while 640 MiB are sent (10 s at 32 MiB/s), sent paused: 5 s.
    assertThat(estimate.expectedDowntime()).contains(Duration.ofSeconds(5));
    assertThat(estimate.percent()).isZero();
  }

  @Test
  @DisplayName("gives no time remaining when the guest dirties faster than the link")
  void notConverging() {
    ProgressEstimate estimate = new ProgressEstimator().next(sample(0, 640 * MIB, 128 * MIB));

    assertThat(estimate.timeRemaining()).isEmpty();
    assertThat(estimate.expectedDowntime()).contains(Duration.ofSeconds(10));
  }

  @Test
  @DisplayName("in post-copy counts only the remainder, with no switch-over to come")
  void postCopy() {
    ProgressEstimate estimate =
        new ProgressEstimator()
            .next(
                ProgressSample.builder()
                    .from(sample(512 * MIB, 128 * MIB, 0))
                    .mode(MigrationMode.POST_COPY)
                    .build());

    assertThat(estimate.percent()).isEqualTo(80);
    assertThat(estimate.timeRemaining()).contains(Duration.ofSeconds(2));
    assertThat(estimate.expectedDowntime()).isEmpty();
  }

  @Test
  @DisplayName("counts down with the clock through pass boundaries, where the remainder jumps up")
  void passBoundaries() {
    // 64 MiB/s sent, 32 MiB/s dirtied: passes of 1024, 512, 256… MiB, 2048 MiB in all, 32 s.
    ProgressEstimator estimator = new ProgressEstimator();
    long pass = 1024 * MIB;
    long passStart = 0;
    int boundaries = 0;
    for (int second = 0; second < 31; second++) {
      long processed = second * 64 * MIB;
      if (processed >= passStart + pass) {
        passStart += pass;
        pass /= 2;
        boundaries++;
      }
      ProgressSample sample =
          ProgressSample.builder()
              .from(sample(processed, passStart + pass - processed, 32 * MIB))
              .iteration(boundaries + 1)
              .build();
      ProgressEstimate estimate = estimator.next(sample);
      // The rest over the rate read 32 s, 30 s, …, 2 s, then 16 s again at the second pass.
      assertThat(estimate.timeRemaining())
          .as("second %d", second)
          .contains(Duration.ofSeconds(32 - second));
    }
    assertThat(boundaries).isEqualTo(4);
  }

  @Test
  @DisplayName("rises when the guest dirties more than the passes to come were projected to hold")
  void risesWhenItMust() {
    ProgressEstimator estimator = new ProgressEstimator();
    ProgressEstimate first = estimator.next(sample(0, 640 * MIB, 32 * MIB));
    // The second pass is as large as the first: the guest now dirties 48 MiB/s.
    ProgressEstimate second = estimator.next(sample(640 * MIB, 640 * MIB, 48 * MIB));

    assertThat(first.timeRemaining()).contains(Duration.ofSeconds(20));
    // 640 MiB moved of 640 + 640 / (1 - 0.75) = 3200 MiB: 2560 MiB at 64 MiB/s.
    assertThat(second.timeRemaining()).contains(Duration.ofSeconds(40));
    assertThat(second.percent()).isEqualTo(20);
  }

  @Test
  @DisplayName("smooths the transfer rate over samples, the newest weighing a quarter")
  void smoothedRate() {
    ProgressEstimator estimator = new ProgressEstimator();
    estimator.next(sample(0, 640 * MIB, 0));
    ProgressEstimate slower =
        estimator.next(
            ProgressSample.builder().from(sample(0, 640 * MIB, 0)).transferRate(0).build());
    ProgressEstimate after =
        estimator.next(
            ProgressSample.builder()
                .from(sample(64 * MIB, 576 * MIB, 0))
                .transferRate(32 * MIB)
                .build());

    assertThat(slower.timeRemaining()).as("nothing moves").isEmpty();
    // 64, then 0 (48), then 32 MiB/s: 44 MiB/s for the 576 MiB left.
    assertThat(estimator.smoothedRate()).isEqualTo(44.0 * MIB);
    assertThat(after.timeRemaining()).contains(Duration.ofNanos((long) (576.0 / 44 * 1e9)));
  }
}
