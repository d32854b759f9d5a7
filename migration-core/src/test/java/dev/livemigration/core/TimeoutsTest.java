package dev.livemigration.core;

import static dev.livemigration.core.Harness.T0;
import static dev.livemigration.core.Harness.local;
import static dev.livemigration.core.Harness.vmi;
import static dev.livemigration.core.MockSessions.active;
import static dev.livemigration.core.MockSessions.completed;
import static dev.livemigration.core.MockSessions.postCopy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VolumeType;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.core.ScriptedBackend.Step;
import dev.livemigration.core.strategy.Strategies;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Timeouts")
class TimeoutsTest {
  /**
   * A guest that dirties memory a little slower than it is sent: each pass starts 1.5 % below the
   * one before (progress by the 1 % margin), but it would take longer than the budget to converge.
   */
  private static final Script SLOW = Script.dirtying(Script.MIB_64 * 985 / 1000);

  /** When the engine asked the backend to abort the migration; fails unless it did once. */
  private static Instant abortedAt(Harness harness, MigrationHandle handle) {
    List<Instant> aborts = harness.backend.times(handle.uid(), Step.ABORT);
    assertThat(aborts).hasSize(1);
    return aborts.get(0);
  }

  @Nested
  @DisplayName("the completion timeout")
  class Completion {

    @ParameterizedTest(name = "{0} GiB of memory + {1} GiB of local disk at {2} s/GiB: {3} s")
    @CsvSource({"1, 0, 800, 800", "1, 1, 800, 1600", "8, 0, 800, 6400", "2, 2, 100, 400"})
    @DisplayName("is completionTimeoutPerGiB times the GiB to copy, node-local disks included")
    void budget(long memoryGiB, long diskGiB, long perGiB, long expectedSeconds) {
      Harness harness =
          Harness.twoNodes().configure(c -> c.completionTimeoutPerGiB(Duration.ofSeconds(perGiB)));
      harness.backend.defaultScript(SLOW);
      var vmi = vmi("vmi-fedora", "node02").memory(Quantity.ofGibibytes(memoryGiB));
      if (diskGiB > 0) {
        vmi.addVolumes(local("scratch", VolumeType.EMPTY_DISK, Quantity.ofGibibytes(diskGiB)));
      }
      harness.inventory.vmi(vmi.build());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(abortedAt(harness, handle)).isEqualTo(T0.plusSeconds(expectedSeconds));
      assertThat(state.endTimestamp()).contains(T0.plusSeconds(expectedSeconds + 1));
      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.failureReason())
          .hasValueSatisfying(
              reason ->
                  assertThat(reason)
                      .contains("completion timeout of " + expectedSeconds + " s")
                      .contains(perGiB + " s per GiB")
                      .contains("post-copy is not allowed"));
    }

    @Test
    @DisplayName("aborts when post-copy is not allowed, leaving the guest on the source")
    void aborts() {
      Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora");
      harness.backend.defaultScript(SLOW);

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(state.completed()).isTrue();
      assertThat(state.failed()).isTrue();
      assertThat(state.abortRequested()).isFalse();
      assertThat(state.abortStatus()).isEmpty();
      assertThat(state.mode()).isEqualTo(MigrationMode.PRE_COPY);
      assertThat(harness.inventory.nodeOf("vmi-fedora")).isEqualTo("node02");
      assertThat(harness.backend.session(handle.uid()).isClosed()).isTrue();
      assertThat(harness.events.story(handle.uid()))
          .containsExactly("Queued", "Scheduled", "TargetReady", "Running", "Progress", "Failed");
      assertThat(handle.completion()).isCompletedWithValue(state);
      ProgressSample last = state.progress().orElseThrow(); // the failed job's last statistics
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.dataProcessed()).isPositive();
    }

    @Test
    @DisplayName("switches to post-copy when allowed, and the migration then completes")
    void switchesToPostCopy() {
      Harness harness =
          Harness.twoNodes().vmis("node02", "vmi-fedora").configure(c -> c.allowPostCopy(true));
      harness.backend.defaultScript(SLOW);

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(harness.backend.applied(handle.uid()))
          .containsExactly(new Directive.SwitchToPostCopy());
      assertThat(harness.backend.calls(Step.ABORT)).isEmpty();
      List<MigrationEvent.DirectiveApplied> applied =
          harness.events.of(handle.uid(), MigrationEvent.DirectiveApplied.class);
      assertThat(applied).hasSize(1);
      assertThat(applied.get(0).timestamp()).isEqualTo(T0.plusSeconds(800));
      assertThat(applied.get(0).directive()).isEqualTo(new Directive.SwitchToPostCopy());
      assertThat(applied.get(0).reason()).contains("completion timeout of 800 s");
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.POST_COPY);
      assertThat(state.endTimestamp().orElseThrow())
          .isAfter(T0.plusSeconds(800))
          .isBefore(T0.plusSeconds(800 + 17));
      assertThat(harness.inventory.nodeOf("vmi-fedora")).isEqualTo("node01");
    }

    @Test
    @DisplayName("uses the policy's completionTimeoutPerGiB")
    void policyBudget() {
      Harness harness =
          Harness.twoNodes()
              .policies(
                  dev.livemigration.api.MigrationPolicy.builder()
                      .name("fast")
                      .hasSelectors(true)
                      .completionTimeoutPerGiB(Duration.ofSeconds(60))
                      .build());
      harness.inventory.vmi(vmi("vmi-fedora", "node02").build());
      harness.backend.defaultScript(SLOW);

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(abortedAt(harness, handle)).isEqualTo(T0.plusSeconds(60));
      assertThat(handle.state().migrationPolicyName()).contains("fast");
    }
  }

  @Nested
  @DisplayName("the progress timeout")
  class ProgressTimeout {

    @Test
    @DisplayName("aborts when the data remaining makes no progress for 150 s")
    void aborts() {
      Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora");
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      // The first sample (t = 1 s) starts pass 1; the remainder stays at the total afterwards.
      MigrationState state = handle.state();
      assertThat(abortedAt(harness, handle)).isEqualTo(T0.plusSeconds(151));
      assertThat(state.endTimestamp()).contains(T0.plusSeconds(152));
      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.failureReason())
          .hasValueSatisfying(
              reason -> assertThat(reason).contains("progress timeout").contains("150 s"));
      assertThat(harness.inventory.nodeOf("vmi-fedora")).isEqualTo("node02");
    }

    @Test
    @DisplayName("follows the configured progressTimeout")
    void configured() {
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .configure(c -> c.progressTimeout(Duration.ofSeconds(30)));
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(abortedAt(harness, handle)).isEqualTo(T0.plusSeconds(31));
      assertThat(handle.state().failureReason().orElseThrow()).contains("30 s");
    }

    @Test
    @DisplayName("does not abort while every sample makes progress")
    void slowProgressIsProgress() {
      Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora");
      harness.backend.defaultScript(SLOW);

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.advanceSeconds(799);

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.RUNNING);
      assertThat(harness.backend.calls(Step.ABORT)).isEmpty();
    }

    @Test
    @DisplayName(
        "counts a remainder that bounces and creeps down a thousandth per 100 s as stalled")
    void creepIsNoProgress() {
      // A new low every 100 s, a thousandth below the last, bouncing above it in between: the
      // low-water mark of KubeVirt's rule counts that as progress for ever.
      MigrationSession session =
          MockSessions.session(
              n -> {
                long low = 1_000_000 - (n / 100) * 1_000;
                return active(n % 100 == 0 ? low : low + 500 + (n % 7) * 100);
              });
      Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora");
      harness.customize(b -> b.backend(MockSessions.backend(session)));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      verify(session).abort();
      assertThat(handle.state().failureReason().orElseThrow())
          .contains("stalled")
          .contains("has not fallen 1 % below");
    }

    @Test
    @DisplayName("aborts exactly progressTimeout after the last fall by the margin")
    void lastProgress() {
      // Falls by 2 % a second until the sample at 40 s, then bounces by a few bytes for ever.
      MigrationSession session =
          MockSessions.session(
              n -> active((long) (1e9 * Math.pow(0.98, Math.min(n, 40))) + (n > 40 ? n % 3 : 0)));
      Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora");
      harness.customize(b -> b.backend(MockSessions.backend(session)));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.advanceSeconds(189);
      verify(session, never()).abort();
      harness.advanceSeconds(1);
      verify(session).abort();

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.RUNNING);
      assertThat(handle.state().failureReason()).isEmpty();
    }
  }

  @Nested
  @DisplayName("in post-copy")
  class InPostCopy {

    @Test
    @DisplayName("neither timeout aborts: the migration goes on until it completes")
    void neitherTimeoutAborts() {
      // Pre-copy for 5 s, then post-copy with the remainder stuck for an hour: past both timeouts.
      MigrationSession session =
          MockSessions.session(
              n ->
                  n <= 5
                      ? active(1_000_000 - n)
                      : n < 3_600 ? postCopy(500_000) : completed(MigrationMode.POST_COPY));
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "vmi-fedora")
              .configure(
                  c ->
                      c.allowPostCopy(true)
                          .completionTimeoutPerGiB(Duration.ofSeconds(60))
                          .progressTimeout(Duration.ofSeconds(30)));
      harness.customize(b -> b.backend(MockSessions.backend(session)));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      verify(session, never()).abort();
      verify(session, never()).apply(any());
      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.POST_COPY);
      assertThat(state.endTimestamp()).contains(T0.plusSeconds(3_600));
    }

    @Test
    @DisplayName("a post-copy started by the strategy outlives the completion timeout")
    void postCopyStrategyOutlivesBudget() {
      // 4 GiB at 64 MiB/s takes 64 s to move in post-copy; the budget is 40 s.
      Harness harness =
          Harness.twoNodes()
              .strategy(Strategies.postCopy())
              .configure(
                  c -> c.allowPostCopy(true).completionTimeoutPerGiB(Duration.ofSeconds(10)));
      harness.inventory.vmi(vmi("vmi-fedora", "node02").memory(Quantity.ofGibibytes(4)).build());
      harness.backend.defaultScript(Script.neverConverging());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.backend.calls(Step.ABORT)).isEmpty();
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(handle.state().mode()).isEqualTo(MigrationMode.POST_COPY);
      assertThat(handle.state().endTimestamp().orElseThrow()).isAfter(T0.plusSeconds(60));
    }
  }
}
