package dev.livemigration.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.Directive;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.testkit.SimulatedCluster;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("MigrationMetrics")
class MigrationMetricsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  @DisplayName("10,000 migrations on the simulated cluster leave the registry bounded")
  void tenThousandMigrationsStayBounded() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    int retention = 50;
    MigrationMetrics metrics =
        MigrationMetrics.builder(registry).finishedRetention(retention).build();
    int vmis = 50;
    int rounds = 200;
    int largest = 0;
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(4)) {
      for (int v = 0; v < vmis; v++) {
        String node = String.format("node%02d", 1 + v % 4);
        cluster.addVmi("vmi-" + v, vmi -> vmi.on(node).memory("64Mi"));
      }
      cluster.listener(metrics);
      List<MigrationHandle> last = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        last.clear();
        for (int v = 0; v < vmis; v++) {
          last.add(
              cluster
                  .engine()
                  .migrate(VirtualMachineInstanceMigration.of("m-" + round + "-" + v, "vmi-" + v)));
        }
        // Part way: migrations are queued and running, their meters registered.
        cluster.time().advance(Duration.ofSeconds(1));
        largest = Math.max(largest, registry.getMeters().size());
        cluster.runUntilIdle();
        largest = Math.max(largest, registry.getMeters().size());
        assertThat(metrics.liveMigrations()).isZero();
      }
      // The scrape holds only the last migrations' outcomes.
      Scrape scrape = Scrape.parse(metrics.whileSteady(registry::scrape));
      assertThat(scrape.series("kubevirt_vmi_migration_succeeded")).hasSize(retention);
      assertThat(scrape.series("kubevirt_vmi_migration_data_processed_bytes")).isEmpty();
      assertThat(last).allSatisfy(h -> assertThat(h.state().completed()).isTrue());
    }
    assertThat(
            registry.counter("livemigration_migrations_ended", "result", "succeeded").count()
                + counted(registry, "failed"))
        .isEqualTo(vmis * rounds);
    assertThat(metrics.retainedOutcomes()).isEqualTo(retention);
    // Global meters (4 phase gauges, a few histograms and counters), at most 10 meters per
    // migration in flight (50 at a time), and at most 4 per retained outcome.
    int bound = 40 + 10 * vmis + 4 * retention;
    assertThat(largest).isLessThanOrEqualTo(bound);
    assertThat(registry.getMeters().size()).isLessThanOrEqualTo(40 + 4 * retention);
    metrics.close();
    assertThat(perMigrationMeters(registry)).isEmpty();
  }

  private static double counted(MeterRegistry registry, String result) {
    var counter = registry.find("livemigration_migrations_ended").tag("result", result).counter();
    return counter == null ? 0 : counter.count();
  }

  private static List<Meter> perMigrationMeters(MeterRegistry registry) {
    return registry.getMeters().stream()
        .filter(m -> m.getId().getTag("vmim") != null || m.getId().getTag("name") != null)
        .toList();
  }

  @Test
  @DisplayName("a finished migration's progress meters go at once; with retention 0 all of them")
  void retentionZero() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MigrationMetrics metrics = MigrationMetrics.builder(registry).finishedRetention(0).build();
    VirtualMachineInstanceMigration request = VirtualMachineInstanceMigration.of("job", "vmi-a");
    run(metrics, "uid-1", request, true);
    assertThat(perMigrationMeters(registry)).isEmpty();
    assertThat(metrics.retainedOutcomes()).isZero();
  }

  @Test
  @DisplayName("a failed migration is exported as KubeVirt's failed gauge, with its source node")
  void failed() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MigrationMetrics metrics = MigrationMetrics.on(registry);
    run(metrics, "uid-1", VirtualMachineInstanceMigration.of("job", "vmi-a"), false);
    Scrape scrape = Scrape.parse(registry.scrape());
    assertThat(
            scrape.value(
                "kubevirt_vmi_migration_failed",
                java.util.Map.of("namespace", "default", "vmi", "vmi-a", "vmim", "job")))
        .contains(1.0);
    assertThat(scrape.series("kubevirt_vmi_migration_succeeded")).isEmpty();
    assertThat(
            scrape.value(
                "kubevirt_vmi_migration_end_time_seconds",
                java.util.Map.of(
                    "namespace", "default",
                    "name", "vmi-a",
                    "node", "node01",
                    "migration_name", "job",
                    "status", "failed")))
        .contains((double) T0.plusSeconds(10).getEpochSecond());
    assertThat(
            scrape.value(
                "livemigration_directives_applied_total", java.util.Map.of("kind", "Throttle")))
        .contains(1.0);
  }

  @Test
  @DisplayName("a name used again takes the finished migration's outcome meters over")
  void nameUsedAgain() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MigrationMetrics metrics = MigrationMetrics.builder(registry).finishedRetention(1).build();
    VirtualMachineInstanceMigration request = VirtualMachineInstanceMigration.of("job", "vmi-a");
    run(metrics, "uid-1", request, true);
    run(metrics, "uid-2", request, true);
    run(metrics, "uid-3", VirtualMachineInstanceMigration.of("other", "vmi-b"), true);
    assertThat(registry.find("kubevirt_vmi_migration_succeeded").gauges())
        .singleElement()
        .satisfies(g -> assertThat(g.getId().getTag("vmim")).isEqualTo("other"));
  }

  @Test
  @DisplayName("events from many threads at once, while scraping, leave nothing behind")
  void concurrentEvents() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MigrationMetrics metrics = MigrationMetrics.builder(registry).finishedRetention(10).build();
    int threads = 8;
    int perThread = 500;
    ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
    CountDownLatch start = new CountDownLatch(1);
    AtomicBoolean done = new AtomicBoolean();
    try {
      Future<?> scraper =
          pool.submit(
              () -> {
                while (!done.get()) {
                  Scrape.parse(metrics.whileSteady(registry::scrape));
                }
                return null;
              });
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        workers.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < perThread; i++) {
                    run(
                        metrics,
                        "uid-" + thread + "-" + i,
                        VirtualMachineInstanceMigration.of(
                            "m-" + thread + "-" + i, "vmi-" + thread + "-" + (i % 7)),
                        i % 3 != 0);
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> worker : workers) {
        worker.get(60, TimeUnit.SECONDS);
      }
      done.set(true);
      scraper.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertThat(metrics.liveMigrations()).isZero();
    assertThat(metrics.retainedOutcomes()).isEqualTo(10);
    Scrape scrape = Scrape.parse(registry.scrape());
    assertThat(
            scrape.value(
                "livemigration_migrations_ended_total", java.util.Map.of("result", "failed")))
        .contains((double) threads * ((perThread + 2) / 3));
    assertThat(scrape.series("kubevirt_vmi_migration_data_processed_bytes")).isEmpty();
    assertThat(
            scrape.series("kubevirt_vmi_migration_succeeded").size()
                + scrape.series("kubevirt_vmi_migration_failed").size())
        .isEqualTo(10);
  }

  @Test
  @DisplayName("an adopted migration counts as unset until it reports progress")
  void adopted() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MigrationMetrics metrics = MigrationMetrics.on(registry);
    VirtualMachineInstanceMigration request = VirtualMachineInstanceMigration.of("job", "vmi-a");
    metrics.onEvent(new MigrationEvent.Adopted("uid-1", request, T0, "old", "new"));
    assertThat(registry.get("kubevirt_vmi_migrations_in_unset_phase").gauge().value()).isEqualTo(1);
    metrics.onEvent(
        new MigrationEvent.Progress(
            "uid-1", request, T0, ProgressSample.builder().dataTotal(10).build(), "new"));
    assertThat(registry.get("kubevirt_vmi_migrations_in_unset_phase").gauge().value()).isZero();
    assertThat(registry.get("kubevirt_vmi_migrations_in_running_phase").gauge().value())
        .isEqualTo(1);
    assertThat(
            registry
                .get("kubevirt_vmi_migration_data_remaining_bytes")
                .tag("node", MigrationMetrics.UNKNOWN_NODE)
                .gauge())
        .isNotNull();
  }

  @Test
  @DisplayName("rejects a negative retention and removes its meters on close")
  void builderAndClose() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    assertThatThrownBy(() -> MigrationMetrics.builder(registry).finishedRetention(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("finishedRetention");
    MigrationMetrics metrics = MigrationMetrics.on(registry);
    run(metrics, "uid-1", VirtualMachineInstanceMigration.of("job", "vmi-a"), true);
    metrics.close();
    metrics.close();
    assertThat(registry.find("kubevirt_vmi_migrations_in_running_phase").gauge()).isNull();
    assertThat(perMigrationMeters(registry)).isEmpty();
  }

  /** Feeds one migration's events, from admission to its end, on node01 to node02. */
  static void run(
      MigrationMetrics metrics,
      String uid,
      VirtualMachineInstanceMigration request,
      boolean succeed) {
    metrics.onEvent(new MigrationEvent.Queued(uid, request, T0, "r"));
    metrics.onEvent(
        new MigrationEvent.Scheduled(uid, request, T0.plusSeconds(1), "node01", "node02", "r"));
    metrics.onEvent(
        new MigrationEvent.TargetReady(
            uid, request, T0.plusSeconds(2), "127.0.0.2", java.util.Map.of(), "r"));
    metrics.onEvent(new MigrationEvent.Running(uid, request, T0.plusSeconds(3), "r"));
    ProgressSample sample =
        ProgressSample.builder().dataTotal(100).dataProcessed(40).dataRemaining(60).build();
    metrics.onEvent(new MigrationEvent.Progress(uid, request, T0.plusSeconds(4), sample, "r"));
    metrics.onEvent(
        new MigrationEvent.DirectiveApplied(
            uid, request, T0.plusSeconds(5), new Directive.Throttle(20), "test", "r"));
    MigrationState.Builder state =
        MigrationState.builder()
            .migrationUid(uid)
            .sourceNode("node01")
            .targetNode("node02")
            .startTimestamp(T0.plusSeconds(3))
            .endTimestamp(T0.plusSeconds(10))
            .completed(true)
            .progress(
                ProgressSample.builder().from(sample).downtime(Duration.ofMillis(30)).build());
    if (succeed) {
      metrics.onEvent(
          new MigrationEvent.Succeeded(
              uid,
              request,
              T0.plusSeconds(10),
              state.guestLocation(GuestLocation.TARGET).build(),
              "r"));
    } else {
      metrics.onEvent(
          new MigrationEvent.Failed(
              uid,
              request,
              T0.plusSeconds(10),
              state.failed(true).guestLocation(GuestLocation.SOURCE).build(),
              "r"));
    }
  }
}
