package dev.livemigration.core;

import static dev.livemigration.core.Harness.T0;
import static dev.livemigration.core.Harness.vmi;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.StrategyInput;
import dev.livemigration.core.ScriptedBackend.Step;
import dev.livemigration.core.strategy.Strategies;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Strategies in the engine")
class EngineStrategyTest {

  private static MigrationStrategy custom(Function<StrategyInput, Directive> decide) {
    return new MigrationStrategy() {
      @Override
      public String id() {
        return "custom";
      }

      @Override
      public Directive decide(StrategyInput input) {
        return decide.apply(input);
      }
    };
  }

  private static List<Integer> throttles(List<Object> directives) {
    return directives.stream()
        .filter(Directive.Throttle.class::isInstance)
        .map(d -> ((Directive.Throttle) d).percent())
        .toList();
  }

  @Nested
  @DisplayName("auto-converge (KubeVirt's default)")
  class AutoConverge {

    @Test
    @DisplayName("throttles a racing guest 20, 30, 40, 50, 60 % until it converges, when allowed")
    void throttlesWhenAllowed() {
      Harness harness =
          Harness.twoNodes().vmis("node02", "vmi-fedora").configure(c -> c.allowAutoConverge(true));
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      // Twice the transfer rate: only at 60 % does the guest dirty slower than memory moves.
      assertThat(throttles(harness.backend.applied(handle.uid())))
          .containsExactly(20, 30, 40, 50, 60);
      assertThat(harness.backend.times(handle.uid(), Step.APPLY))
          .containsExactly(
              T0.plusSeconds(16),
              T0.plusSeconds(32),
              T0.plusSeconds(48),
              T0.plusSeconds(64),
              T0.plusSeconds(80));
      List<MigrationEvent.DirectiveApplied> events =
          harness.events.of(handle.uid(), MigrationEvent.DirectiveApplied.class);
      assertThat(events).hasSize(5);
      assertThat(events).allMatch(e -> e.reason().contains("kubevirt"));
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(handle.state().mode()).isEqualTo(MigrationMode.PRE_COPY);
      assertThat(harness.backend.session(handle.uid()).throttle()).isEqualTo(60);
    }

    @Test
    @DisplayName(
        "never throttles without allowAutoConverge: the racing guest hits the progress timeout")
    void neverThrottlesWhenNotAllowed() {
      Harness harness =
          Harness.twoNodes().vmis("node02", "vmi-fedora").strategy(Strategies.autoConverge());
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.backend.calls(Step.APPLY)).isEmpty();
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(handle.state().failureReason().orElseThrow()).contains("progress timeout");
    }

    @Test
    @DisplayName("throttles only the VMIs whose policy allows it")
    void perPolicy() {
      Harness harness =
          Harness.twoNodes()
              .policies(
                  MigrationPolicy.builder()
                      .name("converge")
                      .putVirtualMachineInstanceSelector("workload", "database")
                      .allowAutoConverge(true)
                      .build());
      harness.inventory.vmi(vmi("db", "node02").putLabels("workload", "database").build());
      harness.inventory.vmi(vmi("web", "node02").putLabels("workload", "web").build());
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle db = harness.migrate("job-db", "db");
      MigrationHandle web = harness.migrate("job-web", "web");
      harness.runUntilIdle();

      assertThat(throttles(harness.backend.applied(db.uid()))).isNotEmpty();
      assertThat(harness.backend.applied(web.uid())).isEmpty();
      assertThat(db.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(web.state().phase()).isEqualTo(MigrationPhase.FAILED);
    }
  }

  @Nested
  @DisplayName("post-copy")
  class PostCopy {

    @Test
    @DisplayName("switches after the first full pass when allowed and completes in post-copy")
    void switchesAfterFirstPass() {
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .strategy(Strategies.postCopy())
              .configure(c -> c.allowPostCopy(true));
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.backend.applied(handle.uid()))
          .containsExactly(new Directive.SwitchToPostCopy());
      assertThat(harness.backend.times(handle.uid(), Step.APPLY))
          .containsExactly(T0.plusSeconds(16));
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(handle.state().mode()).isEqualTo(MigrationMode.POST_COPY);
      assertThat(handle.state().endTimestamp()).contains(T0.plusSeconds(32));
    }

    @Test
    @DisplayName("never switches without allowPostCopy")
    void neverSwitchesWhenNotAllowed() {
      Harness harness =
          Harness.twoNodes().vmis("node02", "vmi-fedora").strategy(Strategies.postCopy());
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.backend.calls(Step.APPLY)).isEmpty();
      assertThat(handle.state().mode()).isEqualTo(MigrationMode.PRE_COPY);
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.FAILED);
    }
  }

  @Nested
  @DisplayName("hybrid")
  class Hybrid {

    @Test
    @DisplayName("switches to post-copy once pre-copy has stalled for three passes")
    void switchesWhenStalled() {
      // 128 MiB at 64 MiB/s: 2 s passes, so three stalled passes fit in the sample history.
      Harness harness =
          Harness.twoNodes().strategy(Strategies.hybrid()).configure(c -> c.allowPostCopy(true));
      harness.inventory.vmi(vmi("vmi-fedora", "node02").memory(Quantity.ofMebibytes(128)).build());
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.backend.applied(handle.uid()))
          .containsExactly(new Directive.SwitchToPostCopy());
      assertThat(harness.backend.times(handle.uid(), Step.APPLY).get(0))
          .isBefore(T0.plusSeconds(16));
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(handle.state().mode()).isEqualTo(MigrationMode.POST_COPY);
    }

    @Test
    @DisplayName("switches to post-copy at half the completion budget")
    void switchesAtHalfBudget() {
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .strategy(Strategies.hybrid())
              .configure(c -> c.allowPostCopy(true));
      harness.backend.defaultScript(Script.dirtying(Script.MIB_64 * 99 / 100));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.backend.times(handle.uid(), Step.APPLY))
          .containsExactly(T0.plusSeconds(400));
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(handle.state().mode()).isEqualTo(MigrationMode.POST_COPY);
    }
  }

  @Nested
  @DisplayName("any strategy")
  class AnyStrategy {

    @Test
    @DisplayName("gets its bandwidth and downtime directives to the backend, each once")
    void directivesReachBackend() {
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .strategy(
                  custom(
                      input ->
                          input.latest().iteration() >= 2
                              ? new Directive.SetMaxDowntime(Duration.ofSeconds(20))
                              : new Directive.SetBandwidth(Quantity.parse("32Mi").bytes())));
      harness.backend.defaultScript(Script.dirtying(Script.MIB_64 / 4));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.backend.applied(handle.uid()))
          .containsExactly(
              new Directive.SetBandwidth(Quantity.parse("32Mi").bytes()),
              new Directive.SetMaxDowntime(Duration.ofSeconds(20)));
      assertThat(harness.events.of(handle.uid(), MigrationEvent.DirectiveApplied.class))
          .extracting(MigrationEvent.DirectiveApplied::reason)
          .allMatch(reason -> reason.contains("custom"));
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    }

    @Test
    @DisplayName("can abort the migration, with its reason")
    void abort() {
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .strategy(
                  custom(
                      input ->
                          input.elapsed().compareTo(Duration.ofSeconds(5)) >= 0
                              ? new Directive.Abort("maintenance window closed")
                              : Directive.CONTINUE));
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.backend.times(handle.uid(), Step.ABORT))
          .containsExactly(T0.plusSeconds(5));
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(handle.state().failureReason()).contains("maintenance window closed");
      assertThat(handle.state().abortRequested()).isFalse();
      assertThat(harness.inventory.nodeOf("vmi-fedora")).isEqualTo("node02");
    }

    @Test
    @DisplayName("cannot throttle or switch to post-copy against the configuration")
    void configurationWins() {
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .strategy(
                  custom(
                      input ->
                          input.latest().iteration() % 2 == 0
                              ? new Directive.Throttle(50)
                              : new Directive.SwitchToPostCopy()));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.backend.calls(Step.APPLY)).isEmpty();
      assertThat(harness.events.of(handle.uid(), MigrationEvent.DirectiveApplied.class)).isEmpty();
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    }

    @Test
    @DisplayName("sees the migration's progress, history, configuration, elapsed time and budget")
    void input() {
      List<StrategyInput> inputs = new java.util.concurrent.CopyOnWriteArrayList<>();
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .strategy(
                  custom(
                      input -> {
                        inputs.add(input);
                        return Directive.CONTINUE;
                      }));

      harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      // Consulted on every active sample: 15 of the 16.
      assertThat(inputs).hasSize(15);
      StrategyInput last = inputs.get(14);
      assertThat(last.elapsed()).isEqualTo(Duration.ofSeconds(15));
      assertThat(last.completionTimeout()).isEqualTo(Duration.ofSeconds(800));
      assertThat(last.history()).hasSize(14).doesNotContain(last.latest());
      assertThat(last.previous()).isEqualTo(inputs.get(13).latest());
      assertThat(last.configuration()).isEqualTo(harness.engine().configuration());
    }
  }
}
