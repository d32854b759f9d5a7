package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Progress lines on real hosts")
class ProgressLinesTest {
  private static final VirtualMachineInstanceMigration REQUEST =
      VirtualMachineInstanceMigration.of("job", "vmi-web");
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

  private final StringWriter written = new StringWriter();
  private final ProgressLines lines = new ProgressLines(new PrintWriter(written));

  private static MigrationEvent.Progress progress(long millis, long sent, int throttle) {
    ProgressSample sample =
        ProgressSample.builder()
            .dataTotal(1L << 30)
            .dataProcessed(sent)
            .dataRemaining((1L << 30) - sent)
            .transferRate(64L << 20)
            .iteration(2)
            .throttlePercent(throttle)
            .build();
    return new MigrationEvent.Progress("uid-1", REQUEST, T0.plusMillis(millis), sample, "replica");
  }

  @Test
  @DisplayName("show a migration's progress at most once a second, with its VMI's name")
  void oncePerSecond() {
    lines.onEvent(progress(0, 256L << 20, 0));
    lines.onEvent(progress(400, 300L << 20, 0));
    lines.onEvent(progress(1000, 512L << 20, 30));

    assertThat(written.toString())
        .isEqualTo(
            "vmi-web: pass 2, sent 256 MiB, remaining 768 MiB, 64.0 MiB/s\n"
                + "vmi-web: pass 2, sent 512 MiB, remaining 512 MiB, 64.0 MiB/s, throttle 30%\n");
  }

  @Test
  @DisplayName("tell each directive and abort request in words")
  void directivesAndAborts() {
    lines.onEvent(
        new MigrationEvent.DirectiveApplied(
            "uid-1", REQUEST, T0, new Directive.Throttle(40), "strategy auto-converge", "replica"));
    lines.onEvent(new MigrationEvent.AbortRequested("uid-1", REQUEST, T0, "replica"));

    assertThat(written.toString())
        .isEqualTo(
            "vmi-web: auto-converge: guest CPU throttled to 40% (strategy auto-converge)\n"
                + "vmi-web: abort requested\n");
  }
}
