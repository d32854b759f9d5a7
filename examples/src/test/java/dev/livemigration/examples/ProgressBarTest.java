package dev.livemigration.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressEstimate;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The demo's progress bar")
class ProgressBarTest {
  private static final long MIB = 1 << 20;
  private static final VirtualMachineInstanceMigration REQUEST =
      VirtualMachineInstanceMigration.of("job", "vmi");

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final AtomicLong clock = new AtomicLong();

  private static MigrationEvent progress(ProgressSample sample) {
    return new MigrationEvent.Progress("uid", REQUEST, Instant.EPOCH, sample, "replica");
  }

  private static ProgressSample sample(long remaining, long rate, long iteration) {
    return ProgressSample.builder()
        .dataTotal(1024 * MIB)
        .dataProcessed(1024 * MIB - remaining)
        .dataRemaining(remaining)
        .transferRate(rate)
        .iteration(iteration)
        .build();
  }

  private String printed() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("a line takes the engine's percentage, time remaining and switch-over pause")
  void lineWithEstimate() {
    String line =
        ProgressBar.line(
            sample(256 * MIB, 128 * MIB, 2),
            Optional.of(
                new ProgressEstimate(
                    40, Optional.of(Duration.ofSeconds(75)), Optional.of(Duration.ofMillis(250)))));

    assertThat(line)
        .startsWith("[########............]  40%")
        .contains("switch-over ~250 ms")
        .endsWith("ETA 1m15s");
  }

  @Test
  @DisplayName("a line shows share done, sent, remaining, rate, pass and ETA")
  void line() {
    String line = ProgressBar.line(sample(256 * MIB, 128 * MIB, 2));

    assertThat(line)
        .startsWith("[###############.....]  75%")
        .contains("sent 768 MiB")
        .contains("remaining 256 MiB")
        .contains("128 MiB/s")
        .contains("pass 2")
        .endsWith("ETA 2s");
  }

  @Test
  @DisplayName("a line tells post-copy, the throttle, and an unknown ETA while nothing moves")
  void lineDetails() {
    ProgressSample sample =
        ProgressSample.builder()
            .from(sample(512 * MIB, 0, 3))
            .mode(MigrationMode.POST_COPY)
            .throttlePercent(30)
            .build();

    assertThat(ProgressBar.line(sample))
        .contains("post-copy")
        .contains("throttle 30%")
        .endsWith("ETA ?");
  }

  @Test
  @DisplayName("a completed migration is full and done")
  void completed() {
    ProgressSample done =
        ProgressSample.builder()
            .from(sample(0, 0, 4))
            .status(ProgressSample.Status.COMPLETED)
            .downtime(Duration.ofMillis(80))
            .build();

    assertThat(ProgressBar.line(done)).startsWith("[####################] 100%").endsWith("done");
  }

  @Test
  @DisplayName("without a terminal, prints at most a line a second, and always the last sample")
  void paced() {
    ProgressBar bar = new ProgressBar(out, false, clock::get);

    bar.onEvent(progress(sample(900 * MIB, 100 * MIB, 1)));
    clock.addAndGet(Duration.ofMillis(500).toNanos());
    bar.onEvent(progress(sample(800 * MIB, 100 * MIB, 1)));
    clock.addAndGet(Duration.ofMillis(500).toNanos());
    bar.onEvent(progress(sample(700 * MIB, 100 * MIB, 1)));
    clock.addAndGet(Duration.ofMillis(10).toNanos());
    bar.onEvent(
        progress(
            ProgressSample.builder()
                .from(sample(0, 0, 2))
                .status(ProgressSample.Status.COMPLETED)
                .build()));

    assertThat(printed().lines())
        .hasSize(3)
        .satisfiesExactly(
            first -> assertThat(first).contains("remaining 900 MiB"),
            second -> assertThat(second).contains("remaining 700 MiB"),
            last -> assertThat(last).contains("ETA done"));
    assertThat(printed()).doesNotContain("\r");
    assertThat(bar.last())
        .get()
        .extracting(ProgressSample::status)
        .isEqualTo(ProgressSample.Status.COMPLETED);
  }

  @Test
  @DisplayName("on a terminal, redraws in place and puts events on lines of their own")
  void inPlace() {
    ProgressBar bar = new ProgressBar(out, true, clock::get);

    bar.onEvent(progress(sample(900 * MIB, 100 * MIB, 1)));
    bar.onEvent(progress(sample(800 * MIB, 100 * MIB, 1)));
    bar.onEvent(
        new MigrationEvent.DirectiveApplied(
            "uid",
            REQUEST,
            Instant.EPOCH,
            new Directive.Throttle(20),
            "pass 2 did not converge",
            "replica"));
    bar.onEvent(
        new MigrationEvent.Failed(
            "uid",
            REQUEST,
            Instant.EPOCH,
            MigrationState.builder().migrationUid("uid").completed(true).failed(true).build(),
            "replica"));

    String printed = printed();
    String note = "\rauto-converge: guest CPU throttled to 20% (pass 2 did not converge)";
    assertThat(printed)
        .startsWith("\r[")
        .contains("remaining 900 MiB", "\r[", "remaining 800 MiB")
        .contains(note)
        .endsWith(System.lineSeparator());
    // The event gets a line of its own (padded over the longer bar), and the bar comes back under
    // it.
    String afterNote = printed.substring(printed.indexOf(note) + note.length());
    assertThat(afterNote)
        .matches("(?s) *" + System.lineSeparator() + "\\r\\[.*remaining 800 MiB.*");
  }

  @Test
  @DisplayName("on a terminal, log lines written beside the bar start on a line of their own")
  void beside() {
    ProgressBar bar = new ProgressBar(out, true, clock::get);
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    PrintStream log = bar.beside(new PrintStream(logs, true, StandardCharsets.UTF_8));

    bar.onEvent(progress(sample(900 * MIB, 100 * MIB, 1)));
    log.print("WARN something");
    log.print(" happened");
    bar.onEvent(progress(sample(800 * MIB, 100 * MIB, 1)));

    assertThat(logs.toString(StandardCharsets.UTF_8)).isEqualTo("WARN something happened");
    // The bar's line was ended once, before the first log write, and the bar drawn again after.
    assertThat(printed())
        .matches(
            "(?s)\\r\\[[^\\n]*remaining 900 MiB[^\\n]*"
                + System.lineSeparator()
                + "\\r\\[[^\\n]*remaining 800 MiB.*");
  }
}
