package dev.livemigration.examples.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Scrapes of a metrics endpoint that a command serves, for the examples' tests. */
public final class Scrapes {
  private static final Pattern SERVING =
      Pattern.compile("Serving metrics on (http://127\\.0\\.0\\.1:\\d+/metrics)");

  private Scrapes() {}

  /** The endpoint that {@code printed} says it serves, once it said so. */
  public static Optional<URI> servedIn(CharSequence printed) {
    Matcher m = SERVING.matcher(printed);
    return m.find() ? Optional.of(URI.create(m.group(1))) : Optional.empty();
  }

  /**
   * Scrapes {@code endpoint} over HTTP: the status and the body. The timeouts only keep a broken
   * endpoint from hanging the test; they decide nothing a healthy run does.
   */
  public static HttpResponse<String> scrape(URI endpoint) {
    try {
      return HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(60))
          .build()
          .send(
              HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(60)).build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException("scraping " + endpoint + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while scraping " + endpoint, e);
    }
  }
}
