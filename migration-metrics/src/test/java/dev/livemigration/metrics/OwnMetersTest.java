package dev.livemigration.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.testkit.SimulatedCluster;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("This library's own meters")
class OwnMetersTest {

  /** What a gauge read when a progress event came, beside what the event said. */
  record Reading(double gauge, double event) {}

  /**
   * A listener after the binder: at each progress event of {@code vmi}, reads {@code meter} and
   * keeps it beside {@code expected} of the event.
   */
  private static List<Reading> watch(
      SimulatedCluster cluster,
      MeterRegistry registry,
      String meter,
      java.util.function.ToDoubleFunction<MigrationEvent.Progress> expected) {
    List<Reading> readings = new ArrayList<>();
    cluster.listener(
        event -> {
          if (event instanceof MigrationEvent.Progress progress) {
            Gauge gauge =
                registry
                    .find(meter)
                    .tags("namespace", "default", "name", "vmi-busy", "node", "node02")
                    .gauge();
            readings.add(
                new Reading(
                    gauge == null ? Double.NaN : gauge.value(), expected.applyAsDouble(progress)));
          }
        });
    return readings;
  }

  private static SimulatedCluster busyGuest(MigrationConfiguration configuration) {
    SimulatedCluster cluster = SimulatedCluster.withNodes(3);
    cluster.configure(configuration);
    // Dirties memory faster than the 64 MiB/s bandwidth: it converges only when throttled, or in
    // post-copy.
    cluster.addVmi(
        "vmi-busy", vmi -> vmi.on("node02").memory("1Gi").dirtyRate("100Mi").workingSet("512Mi"));
    return cluster;
  }

  @Test
  @DisplayName("livemigration_migration_throttle_percent is the throttle of each sample")
  void throttlePercent() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MigrationMetrics metrics = MigrationMetrics.on(registry);
    try (SimulatedCluster cluster =
        busyGuest(MigrationConfiguration.builder().allowAutoConverge(true).build())) {
      cluster.listener(metrics);
      List<Reading> readings =
          watch(
              cluster,
              registry,
              MigrationMetrics.THROTTLE,
              progress -> progress.sample().throttlePercent());
      MigrationHandle handle =
          cluster.engine().migrate(VirtualMachineInstanceMigration.of("job", "vmi-busy"));
      cluster.runUntilIdle();

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(readings).isNotEmpty().allSatisfy(r -> assertThat(r.gauge()).isEqualTo(r.event()));
      assertThat(readings).extracting(Reading::event).contains(0.0);
      assertThat(readings)
          .as("the guest was throttled")
          .anySatisfy(r -> assertThat(r.event()).isPositive());
      assertThat(registry.find(MigrationMetrics.THROTTLE).gauges()).isEmpty();
    }
  }

  @Test
  @DisplayName("livemigration_migration_post_copy is 1 in the samples in post-copy, else 0")
  void postCopy() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MigrationMetrics metrics = MigrationMetrics.on(registry);
    try (SimulatedCluster cluster =
        busyGuest(
            MigrationConfiguration.builder()
                .allowPostCopy(true)
                .completionTimeoutPerGiB(Duration.ofSeconds(20))
                .build())) {
      cluster.listener(metrics);
      List<Reading> readings =
          watch(
              cluster,
              registry,
              MigrationMetrics.POST_COPY,
              progress -> progress.sample().mode().isPostCopy() ? 1 : 0);
      MigrationHandle handle =
          cluster.engine().migrate(VirtualMachineInstanceMigration.of("job", "vmi-busy"));
      cluster.runUntilIdle();

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(handle.state().mode()).isEqualTo(MigrationMode.POST_COPY);
      assertThat(readings).isNotEmpty().allSatisfy(r -> assertThat(r.gauge()).isEqualTo(r.event()));
      assertThat(readings).extracting(Reading::event).contains(0.0, 1.0);
      assertThat(registry.find(MigrationMetrics.POST_COPY).gauges()).isEmpty();
    }
  }

  @Test
  @DisplayName(
      "livemigration_migration_queue_wait_seconds records each migration's wait from Queued to"
          + " Scheduled")
  void queueWait() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MigrationMetrics metrics = MigrationMetrics.on(registry);
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(3)) {
      // One migration at a time: the second waits for the first to end.
      cluster.configure(MigrationConfiguration.builder().parallelMigrationsPerCluster(1).build());
      cluster.addVmi("vmi-a", vmi -> vmi.on("node02").memory("1Gi"));
      cluster.addVmi("vmi-b", vmi -> vmi.on("node03").memory("1Gi"));
      cluster.listener(metrics);
      cluster.engine().migrate(VirtualMachineInstanceMigration.of("job-a", "vmi-a"));
      cluster.engine().migrate(VirtualMachineInstanceMigration.of("job-b", "vmi-b"));
      cluster.runUntilIdle();

      List<Double> waits = new ArrayList<>();
      for (MigrationEvent event : cluster.events()) {
        if (event instanceof MigrationEvent.Scheduled scheduled) {
          MigrationEvent queued =
              cluster.events().stream()
                  .filter(e -> e instanceof MigrationEvent.Queued)
                  .filter(e -> e.migrationUid().equals(scheduled.migrationUid()))
                  .findFirst()
                  .orElseThrow();
          waits.add(Duration.between(queued.timestamp(), scheduled.timestamp()).toNanos() / 1e9);
        }
      }
      assertThat(waits).hasSize(2);
      assertThat(waits.get(1)).as("the second one waited").isPositive();
      DistributionSummary summary = registry.get(MigrationMetrics.QUEUE_WAIT).summary();
      assertThat(summary.count()).isEqualTo(2);
      assertThat(summary.totalAmount()).isEqualTo(waits.get(0) + waits.get(1));
      assertThat(summary.max()).isEqualTo(Math.max(waits.get(0), waits.get(1)));
    }
  }

  @Test
  @DisplayName("livemigration_migration_post_copy stays 1 while a broken post-copy link reconnects")
  void postCopyPaused() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MigrationMetrics metrics = MigrationMetrics.on(registry);
    VirtualMachineInstanceMigration request = VirtualMachineInstanceMigration.of("job", "vmi-a");
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    List<Double> values = new ArrayList<>();
    for (MigrationMode mode :
        List.of(
            MigrationMode.PRE_COPY,
            MigrationMode.POST_COPY,
            MigrationMode.POST_COPY_PAUSED,
            MigrationMode.POST_COPY)) {
      metrics.onEvent(
          new MigrationEvent.Progress(
              "uid-1", request, t0, ProgressSample.builder().mode(mode).build(), "r"));
      values.add(registry.get(MigrationMetrics.POST_COPY).tag("name", "vmi-a").gauge().value());
    }

    assertThat(values).containsExactly(0.0, 1.0, 1.0, 1.0);
  }
}
