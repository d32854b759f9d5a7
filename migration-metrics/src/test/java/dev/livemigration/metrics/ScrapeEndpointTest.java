package dev.livemigration.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ScrapeEndpoint")
class ScrapeEndpointTest {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> send(String method, URI uri) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri)
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("serves the registry's scrape at /metrics on 127.0.0.1, and nothing else")
  void servesTheScrape() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MigrationMetrics metrics = MigrationMetrics.on(registry);
    MigrationMetricsTest.run(
        metrics,
        "uid-1",
        dev.livemigration.api.VirtualMachineInstanceMigration.of("job", "vmi-a"),
        true);
    try (ScrapeEndpoint endpoint =
        ScrapeEndpoint.start(0, () -> metrics.whileSteady(registry::scrape))) {
      assertThat(endpoint.address().getAddress().isLoopbackAddress()).isTrue();
      assertThat(endpoint.uri().toString())
          .isEqualTo("http://127.0.0.1:" + endpoint.port() + "/metrics");

      HttpResponse<String> response = send("GET", endpoint.uri());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type"))
          .contains(ScrapeEndpoint.CONTENT_TYPE);
      Scrape scrape = Scrape.parse(response.body());
      assertThat(
              scrape.value(
                  "kubevirt_vmi_migration_succeeded",
                  java.util.Map.of("namespace", "default", "vmi", "vmi-a", "vmim", "job")))
          .contains(1.0);

      assertThat(send("HEAD", endpoint.uri()).statusCode()).isEqualTo(200);
      assertThat(send("GET", endpoint.uri().resolve("/other")).statusCode()).isEqualTo(404);
      HttpResponse<String> post = send("POST", endpoint.uri());
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
    }
  }

  @Test
  @DisplayName("answers 500 when the scrape throws, and goes on serving")
  void failingScrape() throws Exception {
    int[] calls = {0};
    try (ScrapeEndpoint endpoint =
        ScrapeEndpoint.start(
            0,
            () -> {
              if (calls[0]++ == 0) {
                throw new IllegalStateException("boom");
              }
              return "up 1\n";
            })) {
      assertThat(send("GET", endpoint.uri()).statusCode()).isEqualTo(500);
      HttpResponse<String> next = send("GET", endpoint.uri());
      assertThat(next.statusCode()).isEqualTo(200);
      assertThat(next.body()).isEqualTo("up 1\n");
    }
  }

  @Test
  @DisplayName("does not listen on the machine's other addresses")
  void loopbackOnly() throws Exception {
    Optional<InetAddress> other =
        Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
            .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
            .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
            .findFirst();
    assumeThat(other).as("a non-loopback IPv4 address on this machine").isPresent();
    try (ScrapeEndpoint endpoint = ScrapeEndpoint.start(0, () -> "up 1\n")) {
      assertThatThrownBy(
              () -> {
                try (Socket socket = new Socket()) {
                  socket.connect(new InetSocketAddress(other.get(), endpoint.port()), 2000);
                }
              })
          .isInstanceOf(ConnectException.class);
      try (Socket socket = new Socket()) {
        socket.connect(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), endpoint.port()), 2000);
        assertThat(socket.isConnected()).isTrue();
      }
    }
  }

  @Test
  @DisplayName("closes cleanly: the port is free again, its threads end, close is idempotent")
  void closesCleanly() throws Exception {
    ScrapeEndpoint endpoint = ScrapeEndpoint.start(0, () -> "up 1\n");
    int port = endpoint.port();
    assertThat(send("GET", endpoint.uri()).statusCode()).isEqualTo(200);
    endpoint.close();
    endpoint.close();
    assertThatThrownBy(() -> send("GET", URI.create("http://127.0.0.1:" + port + "/metrics")))
        .isInstanceOf(IOException.class);
    try (ServerSocket again = new ServerSocket()) {
      again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }
    assertThat(
            Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("metrics-endpoint-"))
                .filter(Thread::isAlive))
        .isEmpty();
  }

  @Test
  @DisplayName("refuses a port out of range and a port in use")
  void badPorts() throws Exception {
    assertThatThrownBy(() -> ScrapeEndpoint.start(65_536, () -> ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("65536");
    assertThatThrownBy(() -> ScrapeEndpoint.start(-1, () -> ""))
        .isInstanceOf(IllegalArgumentException.class);
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      assertThatThrownBy(() -> ScrapeEndpoint.start(taken.getLocalPort(), () -> ""))
          .isInstanceOf(IOException.class);
    }
  }
}
