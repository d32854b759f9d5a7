package dev.livemigration.examples.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.StrategyInput;
import dev.livemigration.examples.embed.CustomStrategy.DowntimeLadder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("The embedding samples")
class EmbedSamplesTest {
  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

  private String output() {
    return printed.toString(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName(
      "EmbedEngine migrates a dirtying guest over TLS with the guide's CR: succeeded, identical")
  void embedEngine() throws Exception {
    EmbedEngine.Result result = EmbedEngine.run(16 << 20, out);

    assertThat(result.state().phase())
        .as("%s", result.state().failureReason())
        .isEqualTo(MigrationPhase.SUCCEEDED);
    assertThat(result.state().sourceNode()).contains("node01");
    assertThat(result.state().targetNode()).contains("node02");
    assertThat(result.nodeAfter()).isEqualTo("node02");
    assertThat(result.state().migrationConfig().orElseThrow().bandwidthPerMigration())
        .isEqualTo(Quantity.parse("64Mi"));
    assertThat(result.targetDigest()).hasSize(64).isEqualTo(result.sourceDigest());
    assertThat(output())
        .contains("phase: Succeeded")
        .contains("vmi-fedora runs on node02; 16 MiB")
        .contains("identical to the source's");
  }

  @Nested
  @DisplayName("CustomStrategy")
  class Custom {
    @Test
    @DisplayName(
        "the ladder moves both guests sooner than the default's stall rule, by its own directives")
    void comparison() {
      Map<String, CustomStrategy.Run> runs =
          CustomStrategy.compare(out).stream()
              .collect(Collectors.toMap(r -> r.guest() + "/" + r.strategy(), Function.identity()));

      // The default strategy does nothing; the engine's stall rule switches to post-copy.
      for (String guest : List.of("vmi-web", "vmi-db")) {
        CustomStrategy.Run fallback = runs.get(guest + "/kubevirt");
        assertThat(fallback.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
        assertThat(fallback.state().mode()).isEqualTo(MigrationMode.POST_COPY);
        assertThat(fallback.state().modeReason().orElseThrow()).contains("stalled");
        assertThat(fallback.directives())
            .extracting(MigrationEvent.DirectiveApplied::directive)
            .containsExactly(new Directive.SwitchToPostCopy());
      }

      CustomStrategy.Run web = runs.get("vmi-web/" + DowntimeLadder.ID);
      assertThat(web.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(web.state().mode()).isEqualTo(MigrationMode.PRE_COPY);
      // 48 MiB at 64 MiB/s: a 750 ms pause, more than the backend's default 300 ms allows.
      assertThat(web.downtime().orElseThrow()).isBetween(Duration.ofMillis(700), ladderCeiling());
      assertThat(web.directives())
          .isNotEmpty()
          .allSatisfy(
              event -> {
                assertThat(event.directive()).isInstanceOf(Directive.SetMaxDowntime.class);
                assertThat(event.reason()).startsWith("strategy " + DowntimeLadder.ID + " at pass");
              });
      assertThat(web.took()).isLessThan(runs.get("vmi-web/kubevirt").took());

      CustomStrategy.Run db = runs.get("vmi-db/" + DowntimeLadder.ID);
      assertThat(db.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(db.state().mode()).isEqualTo(MigrationMode.POST_COPY);
      MigrationEvent.DirectiveApplied last = db.directives().get(db.directives().size() - 1);
      assertThat(last.directive()).isEqualTo(new Directive.SwitchToPostCopy());
      assertThat(last.reason()).startsWith("strategy " + DowntimeLadder.ID + " at pass");
      assertThat(db.took()).isLessThan(runs.get("vmi-db/kubevirt").took());
      assertThat(db.directives())
          .filteredOn(event -> event.directive() instanceof Directive.SetMaxDowntime)
          .extracting(event -> ((Directive.SetMaxDowntime) event.directive()).maxDowntime())
          .containsExactly(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2));

      assertThat(output()).contains("vmi-db   downtime-ladder  SUCCEEDED  POST_COPY");
    }

    private Duration ladderCeiling() {
      return DowntimeLadder.standard().ceiling();
    }

    private final DowntimeLadder ladder =
        new DowntimeLadder(Duration.ofMillis(100), Duration.ofMillis(350), 2, 8);

    /** Samples of passes 1.. with these data remaining, one sample per pass. */
    private StrategyInput passes(MigrationConfiguration configuration, long... remaining) {
      List<ProgressSample> samples = new ArrayList<>();
      for (int i = 0; i < remaining.length; i++) {
        samples.add(ProgressSample.builder().iteration(i + 1).dataRemaining(remaining[i]).build());
      }
      ProgressSample latest = samples.remove(samples.size() - 1);
      return new StrategyInput(
          latest, samples, configuration, Duration.ofSeconds(10), Duration.ofSeconds(800));
    }

    private Directive decide(long... remaining) {
      return ladder.decide(passes(MigrationConfiguration.defaults(), remaining));
    }

    @Test
    @DisplayName(
        "continues while pre-copy gains ground or has stalled for fewer passes than patience")
    void patience() {
      assertThat(decide(100, 80, 60, 40)).isEqualTo(Directive.CONTINUE);
      assertThat(decide(100, 40, 50)).isEqualTo(Directive.CONTINUE);
    }

    @Test
    @DisplayName("doubles the downtime for every stalled pass beyond patience, up to the ceiling")
    void doubles() {
      assertThat(decide(100, 40, 50, 45))
          .isEqualTo(new Directive.SetMaxDowntime(Duration.ofMillis(100)));
      assertThat(decide(100, 40, 50, 45, 41))
          .isEqualTo(new Directive.SetMaxDowntime(Duration.ofMillis(200)));
      assertThat(decide(100, 40, 50, 45, 41, 42, 43))
          .isEqualTo(new Directive.SetMaxDowntime(Duration.ofMillis(350)));
      assertThat(decide(100, 40, 50, 45, 41, 42, 43, 30)).isEqualTo(Directive.CONTINUE);
    }

    @Test
    @DisplayName("switches to post-copy from pass postCopyAfter on, only if allowPostCopy")
    void postCopy() {
      long[] eight = {100, 90, 80, 70, 60, 50, 40, 30};
      assertThat(decide(eight)).isEqualTo(Directive.CONTINUE);
      assertThat(
              ladder.decide(
                  passes(MigrationConfiguration.builder().allowPostCopy(true).build(), eight)))
          .isEqualTo(new Directive.SwitchToPostCopy());
    }

    @Test
    @DisplayName("leaves a migration in post-copy or a finished one alone")
    void onlyActivePreCopy() {
      MigrationConfiguration configuration =
          MigrationConfiguration.builder().allowPostCopy(true).build();
      ProgressSample postCopy =
          ProgressSample.builder().iteration(9).mode(MigrationMode.POST_COPY).build();
      ProgressSample done =
          ProgressSample.builder().iteration(9).status(ProgressSample.Status.COMPLETED).build();
      for (ProgressSample latest : List.of(postCopy, done)) {
        assertThat(
                ladder.decide(
                    new StrategyInput(
                        latest, List.of(), configuration, Duration.ZERO, Duration.ZERO)))
            .isEqualTo(Directive.CONTINUE);
      }
    }

    @Test
    @DisplayName("rejects a ceiling below the first step")
    void validates() {
      assertThatThrownBy(
              () -> new DowntimeLadder(Duration.ofSeconds(1), Duration.ofMillis(500), 2, 10))
          .hasMessageContaining("ceiling");
    }
  }

  @Test
  @DisplayName(
      "TwoJvmStateMigration moves a live counter table to a child JVM, which verifies every update")
  void twoJvms() throws Exception {
    TwoJvmStateMigration.Result result = TwoJvmStateMigration.run(8 << 20, out);

    assertThat(result.last().status())
        .as("%s", result.last().failureReason())
        .isEqualTo(ProgressSample.Status.COMPLETED);
    assertThat(result.updates()).isPositive();
    assertThat(result.sum()).isEqualTo(result.loadedSum() + result.updates());
    assertThat(result.report())
        .startsWith("VERIFIED 1048576 counters, sum " + result.sum() + ", SHA-256 ")
        .contains(result.digest().substring(0, 16));
    assertThat(result.receiverExit()).isZero();
    assertThat(output()).contains("receiver: VERIFIED");
  }
}
