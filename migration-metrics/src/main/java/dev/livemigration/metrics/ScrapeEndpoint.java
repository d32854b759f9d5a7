package dev.livemigration.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tiny HTTP endpoint on the loopback address that serves a scrape (Prometheus' text format, say
 * {@code PrometheusMeterRegistry::scrape}) at {@code /metrics}, so that a Prometheus on the same
 * machine can watch a running migration. Only {@code GET} and {@code HEAD} of {@code /metrics} are
 * answered; everything else gets 404 or 405.
 *
 * <p>Bounded: two handler threads, at most {@value #QUEUE} requests waiting for them (more are
 * handled on the server's own thread, which slows new connections down rather than queueing them),
 * a backlog of {@value #BACKLOG} connections, and request bodies are never read. Built on the JDK's
 * {@code com.sun.net.httpserver}: no dependency.
 *
 * <pre>{@code
 * try (ScrapeEndpoint endpoint = ScrapeEndpoint.start(9090, prometheus::scrape)) {
 *   ... // http://127.0.0.1:9090/metrics
 * }
 * }</pre>
 */
public final class ScrapeEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScrapeEndpoint.class);

  /** The path the scrape is served on. */
  public static final String PATH = "/metrics";

  /** The content type of Prometheus' text exposition format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  static final int THREADS = 2;
  static final int QUEUE = 16;
  static final int BACKLOG = 16;

  private static final AtomicInteger SERVERS = new AtomicInteger();

  private final HttpServer server;
  private final ThreadPoolExecutor executor;
  private final Supplier<String> scrape;
  private boolean closed;

  private ScrapeEndpoint(HttpServer server, ThreadPoolExecutor executor, Supplier<String> scrape) {
    this.server = server;
    this.executor = executor;
    this.scrape = scrape;
  }

  /**
   * Starts serving {@code scrape} on {@code http://127.0.0.1:<port>/metrics}.
   *
   * @param port the TCP port, 1 to 65535, or 0 for any free one ({@link #port()} tells which)
   * @param scrape makes the body of each answer; called on a handler thread per request
   * @throws IllegalArgumentException if the port is out of range
   * @throws IOException if the port cannot be bound (in use, say)
   */
  public static ScrapeEndpoint start(int port, Supplier<String> scrape) throws IOException {
    Objects.requireNonNull(scrape, "scrape");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, but was " + port);
    }
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    HttpServer server = HttpServer.create(address, BACKLOG);
    int id = SERVERS.incrementAndGet();
    AtomicInteger threads = new AtomicInteger();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            task -> {
              Thread thread =
                  new Thread(task, "metrics-endpoint-" + id + "-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            },
            new ThreadPoolExecutor.CallerRunsPolicy());
    executor.allowCoreThreadTimeOut(true);
    ScrapeEndpoint endpoint = new ScrapeEndpoint(server, executor, scrape);
    server.createContext("/", endpoint::handle);
    server.setExecutor(executor);
    server.start();
    LOG.debug("Serving metrics on {}", endpoint.uri());
    return endpoint;
  }

  /** The address the endpoint listens on: always the loopback address. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** The port the endpoint listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Where the scrape is served: {@code http://127.0.0.1:<port>/metrics}. */
  public URI uri() {
    InetSocketAddress address = address();
    return URI.create(
        "http://" + address.getAddress().getHostAddress() + ":" + address.getPort() + PATH);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!exchange.getRequestURI().getPath().equals(PATH)) {
        respond(exchange, 404, "not found: the metrics are at " + PATH + "\n", method);
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        respond(exchange, 405, "method not allowed: use GET\n", method);
        return;
      }
      String body;
      try {
        body = scrape.get();
      } catch (RuntimeException e) {
        LOG.warn("The metrics scrape failed", e);
        respond(exchange, 500, "the scrape failed: " + e + "\n", method);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      respond(exchange, 200, body, method);
    }
  }

  private static void respond(HttpExchange exchange, int status, String body, String method)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    if (!exchange.getResponseHeaders().containsKey("Content-Type")) {
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    }
    if (method.equals("HEAD")) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /**
   * Stops listening, ends open exchanges and the handler threads (waiting at most 2 seconds for
   * them). Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    server.stop(0);
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
        LOG.warn("The metrics endpoint's handler threads did not stop within 2 seconds");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
