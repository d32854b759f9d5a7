package dev.livemigration.testkit;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One migration run twice, on the {@link dev.livemigration.testkit.model.ModelBackend} in virtual
 * time and on real bytes over the built-in data plane, to see how well the model predicts the data
 * plane for a scenario: memory, dirty rate, working set, pattern and bandwidth.
 *
 * <pre>{@code
 * ModelComparison comparison = ModelComparison.run(
 *     MigrationConfiguration.builder().bandwidthPerMigration(Quantity.parse("32Mi")).build(),
 *     vmi -> vmi.memory("64Mi").dirtyRate("8Mi").workingSet("16Mi").pattern(DirtyPattern.UNIFORM));
 * double off = comparison.timeRatio(); // model's time over the real one
 * }</pre>
 *
 * <p>Compare bandwidth-limited scenarios: without a limit the model assumes a {@value
 * dev.livemigration.testkit.model.ModelBackend#DEFAULT_LINK_SPEED} bytes/s link, and the real run
 * goes as fast as the machine's loopback. The real run's time is its last sample's, taken every 50
 * ms, so it may be up to 50 ms late.
 *
 * @param model what the model computed
 * @param real what the data plane did
 */
public record ModelComparison(Outcome model, Outcome real) {
  /** How long the real run may take before the comparison gives up. */
  public static final Duration PATIENCE = Duration.ofMinutes(10);

  private static final Duration REAL_SAMPLES = Duration.ofMillis(50);
  private static final String VMI = "vmi-compared";

  /**
   * The end of one run, from its last sample.
   *
   * @param succeeded whether the migration succeeded
   * @param time from the start of data movement to the end
   * @param bytes bytes sent, with the data plane's framing on the real run
   * @param iterations passes, counting the stop-and-copy pass (or post-copy's push) as one
   * @param downtime how long the guest was paused at the switch, if it was
   */
  public record Outcome(
      boolean succeeded, Duration time, long bytes, long iterations, Optional<Duration> downtime) {}

  /**
   * Runs the migration of one VMI from {@code node01} to {@code node02} of a two-node cluster, on
   * the model and on real bytes.
   *
   * @param configuration the cluster configuration of both runs; set a bandwidth limit
   * @param vmi describes the VMI and its guest, as for {@link AbstractSimulatedCluster#addVmi}
   * @throws IllegalStateException if the real run does not end within {@link #PATIENCE}
   */
  public static ModelComparison run(
      MigrationConfiguration configuration, Consumer<SimulatedVmi> vmi) {
    Objects.requireNonNull(configuration, "configuration");
    Objects.requireNonNull(vmi, "vmi");
    Outcome model;
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(2).configure(configuration)) {
      cluster.addVmi(VMI, vmi);
      MigrationHandle handle = start(cluster);
      cluster.runUntilIdle();
      model = outcome(cluster.events(), handle);
    }
    Outcome real;
    try (RealBytesCluster cluster =
        RealBytesCluster.withNodes(2).sampleInterval(REAL_SAMPLES).configure(configuration)) {
      cluster.addVmi(VMI, vmi);
      MigrationHandle handle = start(cluster);
      try {
        handle.completion().get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        throw new IllegalStateException(
            "the real run did not end within " + PATIENCE + "; its state is " + handle.state(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the real run", e);
      }
      real = outcome(cluster.events(), handle);
    }
    return new ModelComparison(model, real);
  }

  private static MigrationHandle start(AbstractSimulatedCluster<?> cluster) {
    return cluster.engine().migrate(VirtualMachineInstanceMigration.of("compare", VMI));
  }

  private static Outcome outcome(List<MigrationEvent> events, MigrationHandle handle) {
    ProgressSample last = null;
    for (MigrationEvent event : events) {
      if (event instanceof MigrationEvent.Progress progress
          && event.migrationUid().equals(handle.uid())) {
        last = progress.sample();
      }
    }
    if (last == null) {
      throw new IllegalStateException(
          "the migration ended without a sample; its state is " + handle.state());
    }
    return new Outcome(
        handle.state().phase() == MigrationPhase.SUCCEEDED,
        last.elapsed(),
        last.dataProcessed(),
        last.iteration(),
        last.downtime());
  }

  /** The model's time over the real run's: 1 is a perfect prediction. */
  public double timeRatio() {
    return (double) model.time().toNanos() / real.time().toNanos();
  }

  /** The model's bytes over the real run's: 1 is a perfect prediction. */
  public double bytesRatio() {
    return (double) model.bytes() / real.bytes();
  }
}
