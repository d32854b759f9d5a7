package dev.livemigration.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.testkit.SimulatedCluster;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A Prometheus scrape of a migration on the simulated cluster")
class PrometheusScrapeTest {

  @Test
  @DisplayName(
      "during and after the migration carries KubeVirt's names, labels and the state's values")
  void duringAndAfter() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MigrationMetrics metrics = MigrationMetrics.on(registry);
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(3)) {
      cluster.addVmi(
          "vmi-fedora",
          vmi -> vmi.on("node02").memory("1Gi").dirtyRate("50Mi").workingSet("256Mi"));
      cluster.listener(metrics);
      MigrationHandle handle =
          cluster.engine().migrate(VirtualMachineInstanceMigration.of("job", "vmi-fedora"));
      cluster
          .time()
          .advanceUntil(
              () ->
                  handle.state().phase() == MigrationPhase.RUNNING
                      && handle.state().progress().map(p -> p.dataProcessed() > 0).orElse(false),
              Duration.ofMinutes(10));

      MigrationState running = handle.state();
      ProgressSample sample = running.progress().orElseThrow();
      Scrape during = Scrape.parse(registry.scrape());
      Map<String, String> vmi =
          Map.of("namespace", "default", "name", "vmi-fedora", "node", "node02");
      assertThat(during.value("kubevirt_vmi_migration_data_processed_bytes", vmi))
          .contains((double) sample.dataProcessed());
      assertThat(during.value("kubevirt_vmi_migration_data_remaining_bytes", vmi))
          .contains((double) sample.dataRemaining());
      assertThat(during.value("kubevirt_vmi_migration_data_total_bytes", vmi))
          .contains((double) sample.dataTotal());
      assertThat(during.value("kubevirt_vmi_migration_data_bytes_total", vmi))
          .contains((double) sample.dataTotal());
      assertThat(during.type("kubevirt_vmi_migration_data_bytes_total")).contains("counter");
      assertThat(during.value("kubevirt_vmi_migration_dirty_memory_rate_bytes", vmi))
          .contains((double) sample.dirtyRate());
      assertThat(during.value("kubevirt_vmi_migration_memory_transfer_rate_bytes", vmi))
          .contains((double) sample.transferRate());
      assertThat(during.value("livemigration_migration_passes", vmi))
          .contains((double) sample.iteration());
      assertThat(during.value("kubevirt_vmi_migrations_in_running_phase", Map.of())).contains(1.0);
      assertThat(during.value("kubevirt_vmi_migrations_in_pending_phase", Map.of())).contains(0.0);
      assertThat(during.value("kubevirt_vmi_migrations_in_scheduling_phase", Map.of()))
          .contains(0.0);
      assertThat(during.value("kubevirt_vmi_migrations_in_unset_phase", Map.of())).contains(0.0);
      assertThat(
              during.value(
                  "kubevirt_vmi_migration_start_time_seconds",
                  Map.of(
                      "namespace", "default",
                      "name", "vmi-fedora",
                      "node", "node02",
                      "migration_name", "job")))
          .contains((double) running.startTimestamp().orElseThrow().getEpochSecond());
      assertThat(during.type("kubevirt_vmi_migration_phase_transition_time_from_creation_seconds"))
          .contains("histogram");
      assertThat(
              during.value(
                  "kubevirt_vmi_migration_phase_transition_time_from_creation_seconds_count",
                  Map.of("phase", "Running")))
          .contains(1.0);

      cluster.runUntilIdle();
      MigrationState last = handle.state();
      assertThat(last.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      String target = last.targetNode().orElseThrow();
      Scrape after = Scrape.parse(registry.scrape());
      assertThat(after.series("kubevirt_vmi_migration_data_processed_bytes")).isEmpty();
      assertThat(after.series("kubevirt_vmi_migration_data_bytes_total")).isEmpty();
      assertThat(after.series("livemigration_migration_passes")).isEmpty();
      assertThat(after.value("kubevirt_vmi_migrations_in_running_phase", Map.of())).contains(0.0);
      assertThat(
              after.value(
                  "kubevirt_vmi_migration_succeeded",
                  Map.of("namespace", "default", "vmi", "vmi-fedora", "vmim", "job")))
          .contains(1.0);
      assertThat(after.series("kubevirt_vmi_migration_failed")).isEmpty();
      Map<String, String> ended =
          Map.of(
              "namespace", "default",
              "name", "vmi-fedora",
              "node", target,
              "migration_name", "job",
              "status", "succeeded");
      assertThat(after.value("kubevirt_vmi_migration_end_time_seconds", ended))
          .contains((double) last.endTimestamp().orElseThrow().getEpochSecond());
      assertThat(
              after.value(
                  "kubevirt_vmi_migration_start_time_seconds",
                  Map.of(
                      "namespace", "default",
                      "name", "vmi-fedora",
                      "node", target,
                      "migration_name", "job")))
          .contains((double) last.startTimestamp().orElseThrow().getEpochSecond());
      assertThat(after.value("livemigration_migrations_ended_total", Map.of("result", "succeeded")))
          .contains(1.0);
      double fromCreation =
          Duration.between(cluster.events().get(0).timestamp(), last.endTimestamp().orElseThrow())
                  .toNanos()
              / 1e9;
      assertThat(
              after.value(
                  "kubevirt_vmi_migration_phase_transition_time_from_creation_seconds_sum",
                  Map.of("phase", "Succeeded")))
          .contains(fromCreation);
      last.progress()
          .flatMap(ProgressSample::downtime)
          .ifPresent(
              downtime -> {
                assertThat(
                        after.value(
                            "kubevirt_vmi_migration_last_downtime_seconds",
                            Map.of("namespace", "default", "name", "vmi-fedora", "node", "node02")))
                    .contains(downtime.toNanos() / 1e9);
                assertThat(
                        after.value(
                            "kubevirt_vmi_migration_downtime_seconds_count",
                            Map.of("node", "node02")))
                    .contains(1.0);
              });
    }
  }
}
