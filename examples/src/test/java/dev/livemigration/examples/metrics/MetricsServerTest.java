package dev.livemigration.examples.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.testkit.SimulatedCluster;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The examples' metrics server")
class MetricsServerTest {

  @Test
  @DisplayName("serves a running migration's KubeVirt metrics on 127.0.0.1")
  void servesARunningMigration() throws Exception {
    try (MetricsServer server = MetricsServer.start("--metrics-port", 0);
        SimulatedCluster cluster = SimulatedCluster.withNodes(3, Instant.now())) {
      assertThat(server.uri().getHost()).isEqualTo("127.0.0.1");
      cluster.addVmi("vmi-fedora", vmi -> vmi.on("node02").memory("1Gi").dirtyRate("50Mi"));
      cluster.listener(server.listener());
      MigrationHandle handle =
          cluster.engine().migrate(VirtualMachineInstanceMigration.of("job", "vmi-fedora"));
      cluster
          .time()
          .advanceUntil(() -> handle.state().progress().isPresent(), Duration.ofMinutes(5));
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(server.uri()).timeout(Duration.ofSeconds(10)).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body())
          .contains(
              "kubevirt_vmi_migration_data_remaining_bytes{name=\"vmi-fedora\",namespace=\"default\",node=\"node02\"}")
          .contains("kubevirt_vmi_migrations_in_running_phase 1.0");
    }
  }
}
