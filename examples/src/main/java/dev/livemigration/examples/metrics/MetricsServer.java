package dev.livemigration.examples.metrics;

import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.metrics.MigrationMetrics;
import dev.livemigration.metrics.ScrapeEndpoint;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;

/**
 * What {@code --metrics-port} starts in the CLI and the demo: a Prometheus registry, the engine's
 * {@link MigrationMetrics} on it (add {@link #listener()} to the engine) and a {@link
 * ScrapeEndpoint} serving it on {@code http://127.0.0.1:<port>/metrics}.
 */
public final class MetricsServer implements AutoCloseable {
  private final PrometheusMeterRegistry registry;
  private final MigrationMetrics metrics;
  private final ScrapeEndpoint endpoint;

  private MetricsServer(
      PrometheusMeterRegistry registry, MigrationMetrics metrics, ScrapeEndpoint endpoint) {
    this.registry = registry;
    this.metrics = metrics;
    this.endpoint = endpoint;
  }

  /**
   * Checks the text of {@code option} as a port: a whole number from 0 (any free port) to 65535.
   *
   * @throws IllegalArgumentException naming the option, the rule and the value
   */
  public static int port(String option, String text) {
    int port;
    try {
      port = Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(
          option
              + " must be a TCP port from 1 to 65535 (or 0 for any free one), but was '"
              + text
              + "'");
    }
    return port;
  }

  /**
   * Starts serving the metrics on the loopback address.
   *
   * @throws UncheckedIOException if the port cannot be listened on (in use, say), with the option
   *     and the address in its message
   */
  public static MetricsServer start(String option, int port) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MigrationMetrics metrics = MigrationMetrics.on(registry);
    try {
      ScrapeEndpoint endpoint =
          ScrapeEndpoint.start(port, () -> metrics.whileSteady(registry::scrape));
      return new MetricsServer(registry, metrics, endpoint);
    } catch (IOException e) {
      metrics.close();
      registry.close();
      throw new UncheckedIOException(
          option
              + " "
              + port
              + ": cannot listen on 127.0.0.1:"
              + port
              + " ("
              + e.getMessage()
              + ")",
          e);
    }
  }

  /** The listener to add to the engine. */
  public MigrationListener listener() {
    return metrics;
  }

  /** Where the scrape is served. */
  public URI uri() {
    return endpoint.uri();
  }

  /** The scrape now, as the endpoint serves it. */
  public String scrape() {
    return metrics.whileSteady(registry::scrape);
  }

  /** Stops the endpoint and drops the meters. */
  @Override
  public void close() {
    endpoint.close();
    metrics.close();
    registry.close();
  }
}
