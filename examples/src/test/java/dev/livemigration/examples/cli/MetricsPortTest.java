package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.examples.metrics.Scrapes;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The CLI's --metrics-port")
class MetricsPortTest {

  @Test
  @DisplayName("serves the metrics on loopback while the command runs, then the result as usual")
  void serves() {
    Cli cli = Cli.run("migrate", "vmi-fedora", "--metrics-port", "0");
    assertThat(cli.code()).as(cli.toString()).isZero();
    assertThat(cli.err())
        .as(cli.toString())
        .containsPattern("Serving metrics on http://127\\.0\\.0\\.1:\\d+/metrics");
    assertThat(cli.out()).contains("vmi-fedora");
  }

  @Test
  @DisplayName("serves a running migration's KubeVirt metrics, with their labels, over HTTP")
  void scrapedWhileRunning() {
    StringWriter err = new StringWriter();
    AtomicReference<Object> scraped = new AtomicReference<>();
    // Scrapes when the session reaches its status step: 3 s into the migration, which runs ~30 s.
    Tap out =
        new Tap(
            "status vmi-fedora",
            () -> {
              try {
                URI endpoint = Scrapes.servedIn(err.toString()).orElseThrow();
                scraped.set(Scrapes.scrape(endpoint));
              } catch (RuntimeException e) {
                scraped.set(e);
              }
            });
    int code =
        LiveMigrationCli.run(
            new StringReader("migrate vmi-fedora\nwait 3s\nstatus vmi-fedora\nwait\n"),
            new PrintWriter(out),
            new PrintWriter(err),
            "session",
            "--metrics-port",
            "0");

    String printed = "exit " + code + "\n--- out:\n" + out + "--- err:\n" + err;
    assertThat(code).as(printed).isZero();
    assertThat(out.toString())
        .as("the migration ran when scraped")
        .containsPattern("status vmi-fedora\\n(.*\\n)*\\s+Phase:\\s+Running\\n");
    assertThat(scraped.get()).as(printed).isInstanceOf(HttpResponse.class);
    HttpResponse<?> response = (HttpResponse<?>) scraped.get();
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.uri().getHost()).isEqualTo("127.0.0.1");
    assertThat((String) response.body())
        .contains(
            "kubevirt_vmi_migration_data_remaining_bytes{name=\"vmi-fedora\",namespace=\"default\","
                + "node=\"node02\"}")
        .contains(
            "kubevirt_vmi_migration_start_time_seconds{migration_name=\"migration-vmi-fedora\","
                + "name=\"vmi-fedora\",namespace=\"default\",node=\"node02\"}")
        .contains("kubevirt_vmi_migrations_in_running_phase 1.0");
  }

  /** What the command writes, with an action run once, as it writes, when a marker appears. */
  private static final class Tap extends Writer {
    private final StringBuilder text = new StringBuilder();
    private final String marker;
    private final Runnable action;
    private boolean done;

    Tap(String marker, Runnable action) {
      this.marker = marker;
      this.action = action;
    }

    @Override
    public void write(char[] chars, int offset, int length) {
      text.append(chars, offset, length);
      if (!done && text.indexOf(marker) >= 0) {
        done = true;
        action.run();
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}

    @Override
    public String toString() {
      return text.toString();
    }
  }

  @Test
  @DisplayName("refuses a port that is no port, with the option's rule")
  void notAPort() {
    for (String bad : new String[] {"abc", "-1", "65536", "1.5"}) {
      Cli cli = Cli.run("migrate", "vmi-fedora", "--metrics-port", bad);
      assertThat(cli.code()).as(cli.toString()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(cli.err())
          .as(cli.toString())
          .contains(
              "error: --metrics-port must be a TCP port from 1 to 65535 (or 0 for any free one),"
                  + " but was '"
                  + bad
                  + "'");
    }
  }

  @Test
  @DisplayName("says so when the port is taken")
  void taken() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();
      Cli cli = Cli.run("migrate", "vmi-fedora", "--metrics-port", Integer.toString(port));
      assertThat(cli.code()).as(cli.toString()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(cli.err())
          .as(cli.toString())
          .contains("error: --metrics-port " + port + ": cannot listen on 127.0.0.1:" + port);
    }
  }
}
