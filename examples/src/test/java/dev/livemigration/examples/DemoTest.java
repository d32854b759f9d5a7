package dev.livemigration.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.examples.metrics.Scrapes;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The demo run in-process on a small guest, as a user runs it. */
@DisplayName("The demo")
class DemoTest {

  /** What one run printed and returned. */
  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Demo.run(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @AfterEach
  void leavesNoThreads() throws InterruptedException {
    // close() has joined what the demo started; joining here only covers a pool thread between
    // its last task and its end, so the bound is generous and never decides a healthy run.
    List<Thread> started =
        Thread.getAllStackTraces().keySet().stream()
            .filter(
                thread ->
                    thread.getName().startsWith("lm-dataplane-")
                        || thread.getName().startsWith("simulated-guest-writer")
                        || thread.getName().startsWith("live-migration-")
                        || thread.getName().equals("demo-pki"))
            .toList();
    for (Thread thread : started) {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    }
    assertThat(started)
        .filteredOn(Thread::isAlive)
        .extracting(Thread::getName)
        .as("threads the demo left running")
        .isEmpty();
  }

  @Test
  @DisplayName("migrates a busy guest over TLS, shows the state and verifies the memory")
  void migratesOverTls() {
    Run run = run("--memory", "16Mi", "--dirty-rate", "2Mi");

    assertThat(run.code()).as("exit code; stderr: %s", run.err()).isEqualTo(Demo.OK);
    assertThat(run.out())
        .contains("over TLS")
        .contains("Migration State:")
        .containsPattern("Completed: +true")
        .containsPattern("Phase: +Succeeded")
        .containsPattern("Source Node: +node-a")
        .containsPattern("Target Node: +node-b")
        .doesNotContain("Abort Requested")
        .containsPattern("\\[#{20}\\] 100%");
    String verdict = verdict(run.out());
    assertThat(verdict)
        .startsWith("Verdict: migrated to node-b in ")
        .contains("downtime ")
        .contains("sent ")
        .contains("memory verified identical: SHA-256 ");
  }

  @Test
  @DisplayName(
      "cancels a migration that cannot finish in time: aborted, guest intact on the source")
  void cancels() {
    // 16 MiB at 1 MiB/s needs 16 s: the bandwidth limit, not the machine, keeps it from finishing
    // within the second before the cancel.
    Run run = run("--memory", "16Mi", "--bandwidth", "1Mi", "--no-tls", "--cancel-after", "1");

    assertThat(run.code()).as("exit code; stderr: %s", run.err()).isEqualTo(Demo.MIGRATION_FAILED);
    assertThat(run.out())
        .contains("over plain TCP")
        .containsPattern("Abort Requested: +true")
        .containsPattern("Abort Status: +Succeeded")
        .containsPattern("Completed: +true")
        .containsPattern("Failed: +true")
        .containsPattern("Phase: +Failed");
    assertThat(verdict(run.out()))
        .startsWith("Verdict: cancelled after ")
        .contains("the guest keeps running on node-a, intact")
        .doesNotContain("NOT");
  }

  @Test
  @DisplayName(
      "--break-link-after breaks the link in post-copy: the bar shows the pause and the resume, and"
          + " the verdict still checks the memory")
  void breaksTheLink() {
    Run run =
        run(
            "--strategy",
            "post-copy",
            "--memory",
            "16Mi",
            "--bandwidth",
            "4Mi",
            "--no-tls",
            "--break-link-after",
            "0.3");

    assertThat(run.code()).as("exit code; err: %s", run.err()).isEqualTo(Demo.OK);
    assertThat(run.out())
        .contains("--break-link-after: broke ")
        .contains("post-copy link broken (")
        .contains("post-copy link recovered after ")
        .contains("link broken and recovered 1 time")
        .contains("memory verified identical: SHA-256 ")
        .doesNotContain("NOT");
  }

  @Test
  @DisplayName("--break-link-after is refused without --strategy post-copy")
  void breakLinkNeedsPostCopy() {
    Run run = run("--strategy", "pre-copy", "--break-link-after", "2");

    assertThat(run.code()).isEqualTo(Demo.BAD_OPTION);
    assertThat(run.err())
        .contains("--break-link-after must come with --strategy post-copy")
        .contains("'2'");
    assertThat(run.out()).doesNotContain("Live-migrating");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "--memory, lots",
    "--memory, 5000",
    "--strategy, warp",
    "--dirty-rate, -5Mi",
    "--bandwidth, 1.5",
    "--cancel-after, 0",
    "--break-link-after, 0",
    "--break-link-after, soon"
  })
  @DisplayName("refuses a bad option value with exit code 2, naming option and value")
  void badOption(String option, String value) {
    Run run = run(option, value);

    assertThat(run.code()).isEqualTo(Demo.BAD_OPTION);
    assertThat(run.err()).contains(option + " must ").contains("'" + value + "'");
    assertThat(run.out()).doesNotContain("Live-migrating");
  }

  @Test
  @DisplayName("refuses a guest too large to hold twice, before allocating anything")
  void tooLarge() {
    Run run = run("--memory", "4Ti");

    assertThat(run.code()).isEqualTo(Demo.BAD_OPTION);
    assertThat(run.err()).contains("--memory must fit twice").contains("'4Ti'");
  }

  @Test
  @DisplayName("--metrics-port serves the migration's KubeVirt metrics over HTTP while it migrates")
  void metricsPort() {
    AtomicReference<Object> scraped = new AtomicReference<>();
    // Scrapes as the first bar line is printed: the engine prints it from the sample before it
    // can end the migration, so the migration's meters are there.
    Tap out =
        new Tap(
            Pattern.compile("\\n\\[[#.]{20}\\] "),
            printed -> {
              try {
                scraped.set(Scrapes.scrape(Scrapes.servedIn(printed).orElseThrow()));
              } catch (RuntimeException e) {
                scraped.set(e);
              }
            });
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Demo.run(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            "--memory",
            "16Mi",
            "--dirty-rate",
            "1Mi",
            "--no-tls",
            "--metrics-port",
            "0");

    String printed = out + "\n--- err:\n" + err.toString(StandardCharsets.UTF_8);
    assertThat(code).as(printed).isEqualTo(Demo.OK);
    assertThat(out.toString())
        .containsPattern("Serving metrics on http://127\\.0\\.0\\.1:\\d+/metrics");
    assertThat(scraped.get()).as(printed).isInstanceOf(HttpResponse.class);
    HttpResponse<?> response = (HttpResponse<?>) scraped.get();
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.uri().getHost()).isEqualTo("127.0.0.1");
    assertThat((String) response.body())
        .as("the scrape")
        .containsPattern(
            "kubevirt_vmi_migration_data_processed_bytes\\{name=\""
                + DemoCluster.VMI
                + "\",namespace=\""
                + DemoCluster.NAMESPACE
                + "\",node=\""
                + DemoCluster.SOURCE_NODE
                + "\"} \\d")
        .contains("kubevirt_vmi_migrations_in_running_phase 1.0");
  }

  /** What the demo prints, with an action run once, as it prints, when a pattern appears. */
  private static final class Tap extends OutputStream {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final Pattern pattern;
    private final Consumer<String> action;
    private boolean done;

    Tap(Pattern pattern, Consumer<String> action) {
      this.pattern = pattern;
      this.action = action;
    }

    @Override
    public synchronized void write(int b) {
      bytes.write(b);
      check();
    }

    @Override
    public synchronized void write(byte[] b, int offset, int length) {
      bytes.write(b, offset, length);
      check();
    }

    private void check() {
      String text = bytes.toString(StandardCharsets.UTF_8);
      if (!done && pattern.matcher(text).find()) {
        done = true;
        action.accept(text);
      }
    }

    @Override
    public synchronized String toString() {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  @DisplayName("refuses a --metrics-port that is no port")
  void badMetricsPort() {
    Run run = run("--metrics-port", "70000");

    assertThat(run.code()).isEqualTo(Demo.BAD_OPTION);
    assertThat(run.err())
        .contains("--metrics-port must be a TCP port from 1 to 65535 (or 0 for any free one)")
        .contains("'70000'");
  }

  @Test
  @DisplayName("--help lists every option and exits 0")
  void help() {
    Run run = run("--help");

    assertThat(run.code()).isEqualTo(Demo.OK);
    assertThat(run.out())
        .contains("--strategy", "--memory", "--dirty-rate", "--bandwidth", "--[no-]tls")
        .contains("--cancel-after", "--metrics-port", "Exit codes");
  }

  private static String verdict(String out) {
    return out.lines()
        .filter(line -> line.startsWith("Verdict: "))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no verdict in:\n" + out));
  }
}
