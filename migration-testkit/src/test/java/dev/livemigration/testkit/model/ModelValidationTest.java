package dev.livemigration.testkit.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.Quantity;
import dev.livemigration.testkit.DirtyPattern;
import dev.livemigration.testkit.ModelComparison;
import dev.livemigration.testkit.SimulatedVmi;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model predicts the data plane: for the same guest and bandwidth limit, its total time and
 * bytes sent are within 20 % of a run with real bytes. The limit (32 MiB/s) makes the real run's
 * time depend on it rather than on the machine, so that a slow or busy machine still passes.
 */
@DisplayName("The model backend, against real bytes")
class ModelValidationTest {
  private static final Logger LOG = LoggerFactory.getLogger(ModelValidationTest.class);
  private static final double TOLERANCE = 0.20;
  private static final MigrationConfiguration LIMITED =
      MigrationConfiguration.builder()
          .bandwidthPerMigration(Quantity.parse("32Mi"))
          .disableTLS(true)
          .build();

  @BeforeAll
  static void warmUp() {
    // The first migration of a JVM loads and compiles the data plane; keep that out of the figures.
    ModelComparison.run(
        MigrationConfiguration.builder().disableTLS(true).build(), vmi -> vmi.memory("8Mi"));
  }

  private static boolean close(double ratio) {
    return ratio >= 1 - TOLERANCE && ratio <= 1 + TOLERANCE;
  }

  /**
   * Runs the scenario on the model and on real bytes, the real run up to three times while its time
   * is off: a busy machine only ever slows the real run down (the limit caps its speed), so the
   * fastest run is the one closest to what the data plane does undisturbed.
   */
  private static ModelComparison compare(String scenario, Consumer<SimulatedVmi> vmi) {
    return compare(scenario, LIMITED, vmi);
  }

  private static ModelComparison compare(
      String scenario, MigrationConfiguration configuration, Consumer<SimulatedVmi> vmi) {
    ModelComparison comparison = null;
    for (int attempt = 1; attempt <= 3; attempt++) {
      ModelComparison run = ModelComparison.run(configuration, vmi);
      LOG.info(
          "{} (run {}): model {} s, {} bytes, {} iterations; real {} s, {} bytes, {} iterations",
          scenario,
          attempt,
          run.model().time().toMillis() / 1000.0,
          run.model().bytes(),
          run.model().iterations(),
          run.real().time().toMillis() / 1000.0,
          run.real().bytes(),
          run.real().iterations());
      if (comparison == null || run.real().time().compareTo(comparison.real().time()) < 0) {
        comparison = run;
      }
      if (close(comparison.timeRatio())) {
        break;
      }
    }
    assertThat(comparison.model().succeeded()).as("the model's run succeeded").isTrue();
    assertThat(comparison.real().succeeded()).as("the real run succeeded").isTrue();
    assertThat(comparison.timeRatio())
        .as("model time over real time: %s", comparison)
        .isBetween(1 - TOLERANCE, 1 + TOLERANCE);
    assertThat(comparison.bytesRatio())
        .as("model bytes over real bytes: %s", comparison)
        .isBetween(1 - TOLERANCE, 1 + TOLERANCE);
    return comparison;
  }

  @Test
  @DisplayName("an idle guest: one pass of all its memory")
  void idle() {
    ModelComparison comparison = compare("idle 64Mi", vmi -> vmi.memory("64Mi"));

    assertThat(comparison.model().iterations()).isEqualTo(comparison.real().iterations());
  }

  @Test
  @DisplayName("a guest dirtying a working set at random, below the bandwidth: a few passes")
  void dirtyingBelowBandwidth() {
    ModelComparison comparison =
        compare(
            "uniform 8Mi/s over 16Mi of 64Mi",
            vmi ->
                vmi.memory("64Mi")
                    .dirtyRate("8Mi")
                    .workingSet("16Mi")
                    .pattern(DirtyPattern.UNIFORM));

    assertThat(comparison.model().bytes()).isGreaterThan(64L << 20);
    assertThat(comparison.real().bytes()).isGreaterThan(64L << 20);
  }

  @Test
  @DisplayName("a guest with a hot tenth of its memory, dirtying half the bandwidth")
  void hotAndCold() {
    compare(
        "hot/cold 16Mi/s over 64Mi",
        vmi -> vmi.memory("64Mi").dirtyRate("16Mi").pattern(DirtyPattern.HOT_COLD));
  }

  @Test
  @DisplayName("a guest switched to post-copy in its first pass: each page it dirtied is sent once")
  void postCopyInTheFirstPass() {
    // 64Mi gets 16 s per GiB, so 1 s: the switch comes halfway through the 2 s first pass.
    MigrationConfiguration postCopy =
        MigrationConfiguration.builder()
            .from(LIMITED)
            .allowPostCopy(true)
            .completionTimeoutPerGiB(Duration.ofSeconds(16))
            .build();
    ModelComparison comparison =
        compare(
            "post-copy, uniform 16Mi/s over 64Mi",
            postCopy,
            vmi -> vmi.memory("64Mi").dirtyRate("16Mi").pattern(DirtyPattern.UNIFORM));

    assertThat(comparison.model().bytes()).isLessThan(2 * (64L << 20));
  }
}
