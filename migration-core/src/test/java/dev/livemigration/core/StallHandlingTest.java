package dev.livemigration.core;

import static dev.livemigration.core.Harness.T0;
import static dev.livemigration.core.Harness.vmi;
import static dev.livemigration.core.MockSessions.active;
import static dev.livemigration.core.MockSessions.completed;
import static dev.livemigration.core.MockSessions.failed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import dev.livemigration.api.Directive;
import dev.livemigration.api.DowntimeTuning;
import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigrationSession;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Stalls, budgets and downtime in the engine")
class StallHandlingTest {
  /** Passes that start 1.5 % lower each time: progress, but too slow for the budget. */
  private static final Script SLOW = Script.dirtying(Script.MIB_64 * 985 / 1000);

  private static List<MigrationEvent.DirectiveApplied> applied(
      Harness harness, MigrationHandle handle) {
    return harness.events.of(handle.uid(), MigrationEvent.DirectiveApplied.class);
  }

  @Nested
  @DisplayName("a converging migration")
  class Converging {
    @Test
    @DisplayName("with passes longer than progressTimeout completes, never aborted")
    void longPassesComplete() {
      // 16 GiB, passes shrinking by 40 %: pass 1 takes 255 s, pass 2 153 s; done at about 640 s.
      long bandwidth = 16 * Harness.GIB / 255;
      var curve =
          RemainderCurves.shrinkingPasses(16 * Harness.GIB, 0.6, bandwidth, Duration.ofMillis(900));
      MigrationSession session =
          MockSessions.session(
              n ->
                  curve
                      .apply(n)
                      .map(
                          p ->
                              ProgressSample.builder()
                                  .dataTotal(16 * Harness.GIB)
                                  .dataRemaining(p.remaining())
                                  .iteration(p.iteration())
                                  .transferRate(bandwidth)
                                  .build())
                      .orElse(completed(MigrationMode.PRE_COPY)));
      Harness harness = Harness.twoNodes();
      harness.inventory.vmi(vmi("vmi-big", "node02").memory(Quantity.ofGibibytes(16)).build());
      harness.customize(b -> b.backend(MockSessions.backend(session)));

      MigrationHandle handle = harness.migrate("job", "vmi-big");
      harness.runUntilIdle();

      verify(session, never()).abort();
      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.endTimestamp().orElseThrow())
          .isBetween(T0.plusSeconds(600), T0.plusSeconds(700));
    }
  }

  @Nested
  @DisplayName("a stalled migration")
  class Stalled {
    @Test
    @DisplayName("is aborted with the reason when neither post-copy nor disruption is allowed")
    void aborted() {
      Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora");
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.guestLocation()).contains(GuestLocation.SOURCE);
      assertThat(state.failureReason().orElseThrow())
          .contains("stalled")
          .contains("progressTimeout 150 s")
          .contains("post-copy is not allowed, nor workload disruption");
    }

    @Test
    @DisplayName("switches to post-copy when allowed, with the stall as the mode's reason")
    void switchesToPostCopy() {
      Harness harness =
          Harness.twoNodes().vmis("node02", "vmi-fedora").configure(c -> c.allowPostCopy(true));
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(harness.backend.applied(handle.uid()))
          .containsExactly(new Directive.SwitchToPostCopy());
      assertThat(applied(harness, handle).get(0).timestamp()).isEqualTo(T0.plusSeconds(151));
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.POST_COPY);
      assertThat(state.modeReason().orElseThrow())
          .contains("stalled")
          .contains("switching to post-copy");
    }

    @Test
    @DisplayName("pauses the guest when workload disruption is allowed, and completes")
    void pausesTheGuest() {
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .configure(c -> c.allowWorkloadDisruption(true));
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(harness.backend.applied(handle.uid())).containsExactly(new Directive.PauseGuest());
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.PAUSED);
      assertThat(state.guestLocation()).contains(GuestLocation.TARGET);
      assertThat(state.modeReason().orElseThrow())
          .contains("stalled")
          .contains("pausing the guest")
          .contains("allowWorkloadDisruption");
      assertThat(state.progress().orElseThrow().downtime()).isPresent();
    }

    @Test
    @DisplayName("with a downtime ramp below its maximum first gets the maximum, and can switch")
    void rampJumpsToMaximum() {
      // 32 MiB dirtied twice as fast as sent: every pass is the whole 32 MiB, 0.5 s of transfer;
      // the backend switches only once the allowed downtime is more than that. The budget for
      // 32 MiB is 25 s, so the stall must show in 10 s.
      Harness harness =
          Harness.twoNodes()
              .configure(
                  c ->
                      c.maxDowntimeMs(900)
                          .progressTimeout(Duration.ofSeconds(10))
                          .experimental(
                              ExperimentalMigrationOptions.builder()
                                  .downtimeTuning(
                                      DowntimeTuning.builder()
                                          .initialMs(100)
                                          .startAfterIteration(1_000_000)
                                          .build())
                                  .build()));
      harness.inventory.vmi(vmi("vmi-small", "node02").memory(Quantity.ofMebibytes(32)).build());
      harness.backend.defaultScript(new Script(Script.MIB_64, 2 * Script.MIB_64));

      MigrationHandle handle = harness.migrate("job", "vmi-small");
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(harness.backend.applied(handle.uid()))
          .containsExactly(new Directive.SetMaxDowntime(Duration.ofMillis(900)));
      assertThat(applied(harness, handle).get(0).reason())
          .contains("stalled")
          .contains("maxDowntimeMs");
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.PRE_COPY);
      assertThat(state.progress().orElseThrow().downtime().orElseThrow())
          .isLessThanOrEqualTo(Duration.ofMillis(900));
    }

    @Test
    @DisplayName("while paused is aborted, and the guest stays on the source")
    void stuckWhilePaused() {
      // Stuck in pre-copy; paused at 151 s, and stuck there too until the abort (302 s) takes.
      MigrationSession session =
          MockSessions.session(
              n ->
                  n <= 151
                      ? active(500_000)
                      : n <= 302
                          ? ProgressSample.builder()
                              .dataTotal(1 << 30)
                              .dataRemaining(400_000)
                              .iteration(2)
                              .mode(MigrationMode.PAUSED)
                              .build()
                          : failed("aborted; the guest runs again on the source"));
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .configure(c -> c.allowWorkloadDisruption(true));
      harness.customize(b -> b.backend(MockSessions.backend(session)));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      verify(session).apply(new Directive.PauseGuest());
      verify(session).abort();
      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.mode()).isEqualTo(MigrationMode.PAUSED);
      assertThat(state.guestLocation()).contains(GuestLocation.SOURCE);
      assertThat(state.failureReason().orElseThrow()).contains("while the guest was paused");
    }
  }

  @Nested
  @DisplayName("the completion budget")
  class Budget {
    @Test
    @DisplayName("pauses the guest instead of aborting when workload disruption is allowed")
    void pauses() {
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .configure(c -> c.allowWorkloadDisruption(true));
      harness.backend.defaultScript(SLOW);

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(harness.backend.applied(handle.uid())).containsExactly(new Directive.PauseGuest());
      assertThat(applied(harness, handle).get(0).timestamp()).isEqualTo(T0.plusSeconds(800));
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.PAUSED);
      assertThat(state.modeReason().orElseThrow()).contains("completion timeout of 800 s");
    }

    @Test
    @DisplayName("prefers post-copy to a paused guest when both are allowed")
    void prefersPostCopy() {
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .configure(c -> c.allowWorkloadDisruption(true).allowPostCopy(true));
      harness.backend.defaultScript(SLOW);

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.backend.applied(handle.uid()))
          .containsExactly(new Directive.SwitchToPostCopy());
      assertThat(handle.state().mode()).isEqualTo(MigrationMode.POST_COPY);
    }
  }

  @Nested
  @DisplayName("the downtime ramp")
  class Ramp {
    @Test
    @DisplayName("raises the limit in equal steps each cooldown once its start pass is over")
    void steps() {
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .configure(
                  c ->
                      c.maxDowntimeMs(900)
                          .experimental(
                              ExperimentalMigrationOptions.builder()
                                  .downtimeTuning(
                                      DowntimeTuning.builder()
                                          .initialMs(100)
                                          .steps(4)
                                          .startAfterIteration(2)
                                          .cooldown(Duration.ofSeconds(10))
                                          .build())
                                  .build()));
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      // 1 GiB passes of 16 s: pass 3 starts at 32 s, seen by the sample at 33 s.
      List<MigrationEvent.DirectiveApplied> steps = applied(harness, handle);
      assertThat(steps)
          .extracting(MigrationEvent.DirectiveApplied::directive)
          .containsExactly(
              new Directive.SetMaxDowntime(Duration.ofMillis(300)),
              new Directive.SetMaxDowntime(Duration.ofMillis(500)),
              new Directive.SetMaxDowntime(Duration.ofMillis(700)),
              new Directive.SetMaxDowntime(Duration.ofMillis(900)));
      assertThat(steps)
          .extracting(MigrationEvent.DirectiveApplied::timestamp)
          .containsExactly(
              T0.plusSeconds(32), T0.plusSeconds(42), T0.plusSeconds(52), T0.plusSeconds(62));
      assertThat(handle.state().failureReason().orElseThrow()).contains("stalled");
    }
  }
}
