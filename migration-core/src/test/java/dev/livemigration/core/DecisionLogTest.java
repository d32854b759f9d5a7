package dev.livemigration.core;

import static dev.livemigration.core.Harness.T0;
import static dev.livemigration.core.MockSessions.active;
import static dev.livemigration.core.MockSessions.completed;
import static dev.livemigration.core.MockSessions.postCopy;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Decision;
import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.StrategyInput;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The decision log")
class DecisionLogTest {

  @Test
  @DisplayName("keeps the latest 32 decisions of a migration that took more, oldest first")
  void bounded() {
    // A strategy that changes the downtime limit at every sample: one decision a second.
    AtomicInteger turns = new AtomicInteger();
    MigrationStrategy restless =
        new MigrationStrategy() {
          @Override
          public String id() {
            return "restless";
          }

          @Override
          public Directive decide(StrategyInput input) {
            return new Directive.SetMaxDowntime(
                Duration.ofMillis(turns.incrementAndGet() % 2 == 0 ? 1 : 2));
          }
        };
    Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora").strategy(restless);
    harness.backend.defaultScript(Script.neverConverging());

    MigrationHandle handle = harness.migrate("job", "vmi-fedora");
    harness.runUntilIdle();

    MigrationState state = handle.state();
    assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
    List<MigrationEvent.DirectiveApplied> applied =
        harness.events.of(handle.uid(), MigrationEvent.DirectiveApplied.class);
    assertThat(applied).hasSizeGreaterThan(Decision.KEPT + 10);
    List<Decision> decisions = state.decisions();
    assertThat(decisions).hasSize(Decision.KEPT);
    // The last is the abort at the progress timeout; before it, the latest 31 directives.
    assertThat(decisions.get(Decision.KEPT - 1).action()).isEqualTo("abort");
    List<MigrationEvent.DirectiveApplied> latest =
        applied.subList(applied.size() - (Decision.KEPT - 1), applied.size());
    assertThat(decisions.subList(0, Decision.KEPT - 1))
        .extracting(Decision::timestamp)
        .containsExactlyElementsOf(
            latest.stream().map(MigrationEvent.DirectiveApplied::timestamp).toList());
    assertThat(decisions.subList(0, Decision.KEPT - 1))
        .extracting(Decision::reason)
        .containsExactlyElementsOf(
            latest.stream().map(MigrationEvent.DirectiveApplied::reason).toList());
    assertThat(decisions.get(0).action()).matches("downtime limit → [12] ms");
  }

  @Test
  @DisplayName("words a throttle as the step from the sampled throttle, with the figures")
  void throttleWording() {
    Harness harness =
        Harness.twoNodes().vmis("node02", "vmi-fedora").configure(c -> c.allowAutoConverge(true));
    harness.backend.defaultScript(Script.neverConverging());

    MigrationHandle handle = harness.migrate("job", "vmi-fedora");
    harness.runUntilIdle();

    List<Decision> decisions = handle.state().decisions();
    assertThat(decisions)
        .extracting(Decision::action)
        .containsExactly(
            "throttle 0 % → 20 %",
            "throttle 20 % → 30 %",
            "throttle 30 % → 40 %",
            "throttle 40 % → 50 %",
            "throttle 50 % → 60 %");
    assertThat(decisions)
        .extracting(Decision::timestamp)
        .containsExactly(
            T0.plusSeconds(16),
            T0.plusSeconds(32),
            T0.plusSeconds(48),
            T0.plusSeconds(64),
            T0.plusSeconds(80));
    assertThat(decisions.get(1).reason())
        .as("the inputs of the step to 30 %%")
        .containsPattern("pass \\d+")
        .containsPattern("remaining \\d+\\.\\d MiB")
        .containsPattern("dirty \\d+\\.\\d MiB/s");
  }

  @Test
  @DisplayName("records a completion budget that expires in post-copy, with its figures, once")
  void budgetExpiredInPostCopy() {
    // Pre-copy for 5 s, then post-copy with 500,000 bytes stuck for an hour: past the budget.
    MigrationSession session =
        MockSessions.session(
            n ->
                n <= 5
                    ? active(1_000_000 - n)
                    : n < 3_600 ? postCopy(500_000) : completed(MigrationMode.POST_COPY));
    Harness harness =
        Harness.twoNodes()
            .vmis("node02", "vmi-fedora")
            .configure(c -> c.allowPostCopy(true).completionTimeoutPerGiB(Duration.ofSeconds(60)));
    harness.customize(b -> b.backend(MockSessions.backend(session)));

    MigrationHandle handle = harness.migrate("job", "vmi-fedora");
    harness.runUntilIdle();

    MigrationState state = handle.state();
    assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    assertThat(state.decisions()).hasSize(1);
    Decision decision = state.decisions().get(0);
    assertThat(decision.action()).isEqualTo("go on in post-copy");
    assertThat(decision.timestamp())
        .isEqualTo(state.startTimestamp().orElseThrow().plusSeconds(60));
    assertThat(decision.reason())
        .startsWith("completion timeout of 60 s expired after 60 s (60 s per GiB of ")
        .contains("in post-copy, pass ")
        .contains("remaining 0.5 MiB")
        .endsWith("an abort would lose the guest, which runs on the target");
  }
}
