package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Decision;
import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressEstimate;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Progress lines on real hosts")
class ProgressLinesTest {
  private static final VirtualMachineInstanceMigration REQUEST =
      VirtualMachineInstanceMigration.of("job", "vmi-web");
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

  private final StringWriter written = new StringWriter();

  /** The state the lines read the decision log from; none until a test sets one. */
  private final AtomicReference<MigrationState> state = new AtomicReference<>();

  private final ProgressLines lines =
      new ProgressLines(new PrintWriter(written), event -> Optional.ofNullable(state.get()));

  private static ProgressSample sample(long sent, int throttle) {
    return ProgressSample.builder()
        .dataTotal(1L << 30)
        .dataProcessed(sent)
        .dataRemaining((1L << 30) - sent)
        .transferRate(64L << 20)
        .iteration(2)
        .throttlePercent(throttle)
        .build();
  }

  private static MigrationEvent.Progress progress(long millis, long sent, int throttle) {
    return new MigrationEvent.Progress(
        "uid-1", REQUEST, T0.plusMillis(millis), sample(sent, throttle), "replica");
  }

  private static MigrationEvent.Progress progress(
      long millis, long sent, int throttle, ProgressEstimate estimate) {
    return new MigrationEvent.Progress(
        "uid-1",
        REQUEST,
        T0.plusMillis(millis),
        sample(sent, throttle),
        Optional.of(estimate),
        "replica");
  }

  private static MigrationEvent.DirectiveApplied throttled(long seconds, int percent) {
    return new MigrationEvent.DirectiveApplied(
        "uid-1",
        REQUEST,
        T0.plusSeconds(seconds),
        new Directive.Throttle(percent),
        "strategy auto-converge",
        "replica");
  }

  private static Decision decision(long seconds, String action) {
    return new Decision(
        T0.plusSeconds(seconds),
        action,
        "pass 5: remaining 812.0 MiB, dirty 90.0 MiB/s, sent 64.0 MiB/s");
  }

  private static MigrationState withDecisions(List<Decision> decisions) {
    return MigrationState.builder().migrationUid("uid-1").decisions(decisions).build();
  }

  private List<String> printed() {
    return written.toString().lines().toList();
  }

  @Nested
  @DisplayName("a progress line")
  class Lines {
    @Test
    @DisplayName("shows a migration's progress at most once a second, with its VMI's name")
    void oncePerSecond() {
      lines.onEvent(progress(0, 256L << 20, 0));
      lines.onEvent(progress(400, 300L << 20, 0));
      lines.onEvent(progress(1000, 512L << 20, 30));

      assertThat(printed())
          .containsExactly(
              "vmi-web: pass 2, sent 256 MiB, remaining 768 MiB, 64.0 MiB/s",
              "vmi-web: pass 2, sent 512 MiB, remaining 512 MiB, 64.0 MiB/s, throttle 30%");
    }

    @Test
    @DisplayName("leads with the engine's percentage and adds the time left and switch-over pause")
    void estimate() {
      lines.onEvent(
          progress(
              0,
              256L << 20,
              30,
              new ProgressEstimate(
                  25, Optional.of(Duration.ofMillis(11_200)), Optional.of(Duration.ofMillis(80)))));
      lines.onEvent(
          progress(
              1000,
              512L << 20,
              0,
              new ProgressEstimate(
                  31, Optional.of(Duration.ofSeconds(125)), Optional.of(Duration.ofMillis(1500)))));
      lines.onEvent(
          progress(
              2000, 640L << 20, 0, new ProgressEstimate(40, Optional.empty(), Optional.empty())));

      assertThat(printed())
          .containsExactly(
              "vmi-web: 25%, pass 2, sent 256 MiB, remaining 768 MiB, 64.0 MiB/s, 12 s left,"
                  + " switch-over ~80 ms, throttle 30%",
              "vmi-web: 31%, pass 2, sent 512 MiB, remaining 512 MiB, 64.0 MiB/s, 2 min 5 s left,"
                  + " switch-over ~1.50 s",
              "vmi-web: 40%, pass 2, sent 640 MiB, remaining 384 MiB, 64.0 MiB/s, time left ?");
    }
  }

  @Nested
  @DisplayName("the decision log")
  class Decisions {
    @Test
    @DisplayName("tells each new decision in words once, instead of the directive's event")
    void eachNewDecisionOnce() {
      List<Decision> log = new ArrayList<>();
      log.add(decision(16, "throttle 0 % → 20 %"));
      state.set(withDecisions(log));
      lines.onEvent(throttled(16, 20));
      log.add(decision(32, "throttle 20 % → 30 %"));
      state.set(withDecisions(log));
      lines.onEvent(throttled(32, 30));
      lines.onEvent(progress(33_000, 512L << 20, 30));

      assertThat(printed())
          .containsExactly(
              "vmi-web: decided: throttle 0 % → 20 % (pass 5: remaining 812.0 MiB, dirty 90.0"
                  + " MiB/s, sent 64.0 MiB/s)",
              "vmi-web: decided: throttle 20 % → 30 % (pass 5: remaining 812.0 MiB, dirty 90.0"
                  + " MiB/s, sent 64.0 MiB/s)",
              "vmi-web: pass 2, sent 512 MiB, remaining 512 MiB, 64.0 MiB/s, throttle 30%");
    }

    @Test
    @DisplayName("tells a decision without an event (an abort) with the next line, or at the end")
    void withoutAnEvent() {
      state.set(withDecisions(List.of(decision(10, "abort"))));
      lines.onEvent(progress(10_000, 256L << 20, 0));
      lines.onEvent(
          new MigrationEvent.Failed(
              "uid-1",
              REQUEST,
              T0.plusSeconds(12),
              withDecisions(List.of(decision(10, "abort"), decision(12, "go on in post-copy"))),
              "replica"));

      assertThat(printed())
          .containsExactly(
              "vmi-web: decided: abort (pass 5: remaining 812.0 MiB, dirty 90.0 MiB/s, sent 64.0"
                  + " MiB/s)",
              "vmi-web: pass 2, sent 256 MiB, remaining 768 MiB, 64.0 MiB/s",
              "vmi-web: decided: go on in post-copy (pass 5: remaining 812.0 MiB, dirty 90.0"
                  + " MiB/s, sent 64.0 MiB/s)",
              "vmi-web: failed");
    }

    @Test
    @DisplayName("past the log's bound, tells the decisions taken after the last one it told")
    void pastTheBound() {
      List<Decision> log = new ArrayList<>();
      for (int i = 0; i < Decision.KEPT; i++) {
        log.add(decision(i, "downtime limit → " + i + " ms"));
      }
      state.set(withDecisions(log));
      lines.onEvent(progress(0, 256L << 20, 0));
      // 40 more: the log keeps the latest 32, and the last one told (31) fell out of it.
      for (int i = Decision.KEPT; i < Decision.KEPT + 40; i++) {
        log.add(decision(i, "downtime limit → " + i + " ms"));
      }
      state.set(withDecisions(log.subList(log.size() - Decision.KEPT, log.size())));
      lines.onEvent(progress(1000, 512L << 20, 0));

      List<String> told =
          printed().stream()
              .filter(line -> line.startsWith("vmi-web: decided: "))
              .map(line -> line.substring(0, line.indexOf(" ms")))
              .toList();
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < Decision.KEPT; i++) {
        expected.add("vmi-web: decided: downtime limit → " + i);
      }
      for (int i = 40; i < 72; i++) {
        expected.add("vmi-web: decided: downtime limit → " + i);
      }
      assertThat(told).containsExactlyElementsOf(expected);
      assertThat(printed()).hasSize(2 * Decision.KEPT + 2);
    }

    @Test
    @DisplayName("without a state, tells each directive and abort request from its event")
    void directivesAndAborts() {
      lines.onEvent(throttled(0, 40));
      lines.onEvent(new MigrationEvent.AbortRequested("uid-1", REQUEST, T0, "replica"));

      assertThat(printed())
          .containsExactly(
              "vmi-web: auto-converge: guest CPU throttled to 40% (strategy auto-converge)",
              "vmi-web: abort requested");
    }
  }
}
