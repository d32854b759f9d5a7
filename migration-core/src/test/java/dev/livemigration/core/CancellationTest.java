package dev.livemigration.core;

import static dev.livemigration.core.Harness.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.CancelResult;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.core.ScriptedBackend.Step;
import dev.livemigration.core.strategy.Strategies;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Cancellation")
class CancellationTest {

  @Nested
  @DisplayName("of a pending migration")
  class Pending {
    private final Harness harness =
        Harness.twoNodes()
            .vmis("node02", "first", "second")
            .configure(c -> c.parallelMigrationsPerCluster(1));

    @Test
    @DisplayName("removes it from the queue at once: completed, failed, abort succeeded")
    void leavesTheQueue() {
      harness.backend.defaultScript(Script.neverConverging());
      MigrationHandle first = harness.migrate("job-1", "first");
      MigrationHandle second = harness.migrate("job-2", "second");
      harness.advanceSeconds(5);
      assertThat(second.state().phase()).isEqualTo(MigrationPhase.PENDING);

      second.cancel();

      MigrationState state = second.state();
      assertThat(second.completion()).isCompletedWithValue(state);
      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.completed()).isTrue();
      assertThat(state.failed()).isTrue();
      assertThat(state.abortRequested()).isTrue();
      assertThat(state.abortStatus()).contains(AbortStatus.SUCCEEDED);
      assertThat(state.endTimestamp()).contains(T0.plusSeconds(5));
      assertThat(state.startTimestamp()).isEmpty();
      assertThat(harness.events.story(second.uid()))
          .containsExactly("Queued", "AbortRequested", "Failed");
      assertThat(((DefaultMigrationEngine) harness.engine()).counters()).containsExactly(1, 0);

      harness.runUntilIdle();
      assertThat(first.state().phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(harness.backend.steps(second.uid())).isEmpty();
      assertThat(harness.inventory.nodeOf("second")).isEqualTo("node02");
    }

    @Test
    @DisplayName("lets the VMI be migrated again at once")
    void vmiIsFreeAgain() {
      harness.migrate("job-1", "first");
      MigrationHandle second = harness.migrate("job-2", "second");

      second.cancel();
      MigrationHandle again = harness.migrate("job-3", "second");
      harness.runUntilIdle();

      assertThat(again.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    }
  }

  @Nested
  @DisplayName("of a running migration in pre-copy")
  class RunningPreCopy {
    private final Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora");

    @Test
    @DisplayName("aborts it: abort requested and succeeded, completed, failed, guest on the source")
    void aborts() {
      harness.backend.defaultScript(Script.neverConverging());
      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.advanceSeconds(10);

      handle.cancel();
      assertThat(handle.state().abortRequested()).isTrue();
      assertThat(handle.state().abortStatus()).contains(AbortStatus.ABORTING);
      assertThat(handle.completion()).isNotDone();
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(state.abortRequested()).isTrue();
      assertThat(state.abortStatus()).contains(AbortStatus.SUCCEEDED);
      assertThat(state.completed()).isTrue();
      assertThat(state.failed()).isTrue();
      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.failureReason()).contains("cancelled on request");
      assertThat(state.startTimestamp()).contains(T0);
      assertThat(state.endTimestamp()).contains(T0.plusSeconds(11));
      assertThat(state.targetNode()).contains("node01");
      assertThat(state.targetNodeDomainDetected()).isFalse();
      assertThat(harness.backend.times(handle.uid(), Step.ABORT))
          .containsExactly(T0.plusSeconds(11));
      assertThat(harness.backend.session(handle.uid()).isClosed()).isTrue();
      assertThat(harness.inventory.nodeOf("vmi-fedora")).isEqualTo("node02");
      assertThat(harness.inventory.moves()).isEmpty();
      assertThat(harness.events.story(handle.uid()))
          .containsExactly(
              "Queued",
              "Scheduled",
              "TargetReady",
              "Running",
              "Progress",
              "AbortRequested",
              "Progress",
              "Failed");
      assertThat(handle.completion()).isCompletedWithValue(state);
    }

    @Test
    @DisplayName("reports the abort as failed when the migration completed first")
    void tooLate() {
      harness.backend.defaultScript(Script.neverConverging().withAbortTooLate());
      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.advanceSeconds(10);

      handle.cancel();
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.completed()).isTrue();
      assertThat(state.failed()).isFalse();
      assertThat(state.abortRequested()).isTrue();
      assertThat(state.abortStatus()).contains(AbortStatus.FAILED);
      assertThat(state.failureReason().orElseThrow()).contains("completed before the abort");
      assertThat(harness.inventory.nodeOf("vmi-fedora")).isEqualTo("node01");
      assertThat(harness.events.story(handle.uid()))
          .endsWith("AbortRequested", "Progress", "Succeeded");
    }

    @Test
    @DisplayName("is idempotent: one abort request, one abort")
    void idempotent() {
      harness.backend.defaultScript(Script.neverConverging());
      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.advanceSeconds(3);

      handle.cancel();
      handle.cancel();
      harness.engine().cancel("default", "job");
      harness.runUntilIdle();
      handle.cancel();

      assertThat(harness.backend.calls(Step.ABORT)).hasSize(1);
      assertThat(harness.events.of(handle.uid(), MigrationEvent.AbortRequested.class)).hasSize(1);
      assertThat(handle.state().abortStatus()).contains(AbortStatus.SUCCEEDED);
    }

    @Test
    @DisplayName("while the target is prepared: the job never starts and the session is closed")
    void whilePreparing() {
      AtomicReference<MigrationEngine> engine = new AtomicReference<>();
      harness.customize(
          builder ->
              builder.listener(
                  event -> {
                    if (event instanceof MigrationEvent.Scheduled) {
                      engine.get().cancel(event.request().namespace(), event.request().name());
                    }
                  }));
      engine.set(harness.engine());

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runDue();

      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.abortStatus()).contains(AbortStatus.SUCCEEDED);
      assertThat(harness.backend.steps(handle.uid()))
          .containsExactly(Step.OPEN, Step.PREPARE_TARGET, Step.CLOSE);
      assertThat(harness.events.story(handle.uid()))
          .containsExactly("Queued", "Scheduled", "AbortRequested", "TargetReady", "Failed");
    }
  }

  @Nested
  @DisplayName("of a migration in post-copy")
  class PostCopy {
    private final Harness harness =
        Harness.twoNodes()
            .vmis("node02", "vmi-fedora")
            .strategy(Strategies.postCopy())
            .configure(c -> c.allowPostCopy(true));

    @Test
    @DisplayName("fails with a reason, and the migration goes on to the target")
    void refused() {
      harness.backend.defaultScript(Script.neverConverging());
      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.advanceSeconds(20);
      assertThat(handle.state().mode()).isEqualTo(MigrationMode.POST_COPY);

      handle.cancel();
      MigrationState refused = handle.state();
      harness.runUntilIdle();

      assertThat(refused.abortRequested()).isTrue();
      assertThat(refused.abortStatus()).contains(AbortStatus.FAILED);
      assertThat(refused.failureReason().orElseThrow()).contains("post-copy");
      assertThat(refused.phase()).isEqualTo(MigrationPhase.RUNNING);
      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.POST_COPY);
      assertThat(state.abortRequested()).isTrue();
      assertThat(state.abortStatus()).contains(AbortStatus.FAILED);
      assertThat(harness.backend.calls(Step.ABORT)).isEmpty();
      assertThat(harness.inventory.nodeOf("vmi-fedora")).isEqualTo("node01");
    }

    @Test
    @DisplayName("is refused from the moment the switch was applied, before a sample shows it")
    void refusedRightAfterTheSwitch() {
      harness.backend.defaultScript(Script.neverConverging());
      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.advanceSeconds(16);
      assertThat(harness.backend.applied(handle.uid())).hasSize(1);
      assertThat(handle.state().mode()).isEqualTo(MigrationMode.PRE_COPY);

      harness.advance(Duration.ofMillis(500));
      handle.cancel();
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.POST_COPY);
      assertThat(state.abortStatus()).contains(AbortStatus.FAILED);
      assertThat(harness.inventory.nodeOf("vmi-fedora")).isEqualTo("node01");
    }
  }

  @Nested
  @DisplayName("of a finished migration")
  class Finished {
    private final Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora");

    @Test
    @DisplayName(
        "says it already ended and leaves the final state exactly as completion() delivered it")
    void succeeded() {
      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      MigrationState ended = handle.completion().join();

      CancelResult result = handle.cancel();

      MigrationState state = handle.state();
      assertThat(result.outcome()).isEqualTo(CancelResult.Outcome.ALREADY_ENDED);
      assertThat(result.message()).contains("already succeeded");
      assertThat(state).isEqualTo(ended);
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.abortRequested()).isFalse();
      assertThat(state.abortStatus()).isEmpty();
      assertThat(state.failureReason()).isEmpty();
      assertThat(harness.events.kinds(handle.uid())).containsOnlyOnce("Succeeded");
      assertThat(
              harness.events.kinds(handle.uid()).get(harness.events.kinds(handle.uid()).size() - 1))
          .isEqualTo("Succeeded");
      assertThat(harness.backend.calls(Step.ABORT)).isEmpty();
    }

    @Test
    @DisplayName("leaves a failed migration as it ended too")
    void failed() {
      harness.backend.defaultScript(Script.neverConverging());
      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      MigrationState ended = handle.completion().join();

      CancelResult result = handle.cancel();

      assertThat(result.outcome()).isEqualTo(CancelResult.Outcome.ALREADY_ENDED);
      assertThat(result.message()).contains("already failed");
      assertThat(handle.state()).isEqualTo(ended);
      assertThat(handle.state().abortStatus()).isEmpty();
      assertThat(handle.state().failureReason().orElseThrow()).contains("progress timeout");
      assertThat(harness.events.kinds(handle.uid())).containsOnlyOnce("Failed").endsWith("Failed");
    }

    @Test
    @DisplayName("by name or by VMI finds nothing to cancel")
    void byNameFindsNothing() {
      harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.engine().cancel("default", "job")).isEmpty();
      assertThat(harness.engine().cancelForVmi("default", "vmi-fedora")).isEmpty();
    }
  }

  @Nested
  @DisplayName("by name and by VMI")
  class ByName {
    private final Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora", "other");

    @Test
    @DisplayName("cancel(namespace, name) cancels that migration and returns its handle")
    void byMigrationName() {
      harness.backend.defaultScript(Script.neverConverging());
      MigrationHandle handle = harness.migrate("migration-job", "vmi-fedora");
      MigrationHandle other = harness.migrate("other-job", "other");
      harness.advanceSeconds(5);

      assertThat(harness.engine().cancel("default", "migration-job")).contains(handle);
      harness.advanceSeconds(1);

      assertThat(handle.state().abortStatus()).contains(AbortStatus.SUCCEEDED);
      assertThat(other.state().abortRequested()).isFalse();
      assertThat(harness.engine().cancel("default", "no-such-job")).isEmpty();
      assertThat(harness.engine().cancel("other-namespace", "other-job")).isEmpty();
    }

    @Test
    @DisplayName("cancelForVmi cancels the VMI's migration, like virtctl migrate-cancel")
    void byVmi() {
      harness.backend.defaultScript(Script.neverConverging());
      MigrationHandle handle = harness.migrate("migration-job", "vmi-fedora");
      harness.advanceSeconds(5);

      assertThat(harness.engine().cancelForVmi("default", "vmi-fedora")).contains(handle);
      harness.advanceSeconds(1);

      assertThat(handle.state().abortStatus()).contains(AbortStatus.SUCCEEDED);
      assertThat(harness.engine().cancelForVmi("default", "other")).isEmpty();
      assertThat(harness.engine().cancelForVmi("default", "vmi-fedora")).isEmpty();
    }
  }

  @Nested
  @DisplayName("on close")
  class OnClose {
    @Test
    @DisplayName("cancels pending migrations and aborts those in pre-copy")
    void closeCancelsEverything() {
      Harness harness =
          Harness.twoNodes()
              .vmis("node02", "a", "b", "c")
              .configure(c -> c.parallelOutboundMigrationsPerNode(1));
      harness.backend.defaultScript(Script.neverConverging());
      MigrationHandle a = harness.migrate("job-a", "a");
      MigrationHandle b = harness.migrate("job-b", "b");
      harness.advanceSeconds(5);

      harness.engine().close();
      assertThat(b.completion()).isDone();
      harness.runUntilIdle();

      assertThat(a.state().abortStatus()).contains(AbortStatus.SUCCEEDED);
      assertThat(b.state().abortStatus()).contains(AbortStatus.SUCCEEDED);
      assertThat(a.completion()).isDone();
      assertThat(harness.backend.openSessions()).isZero();
      assertThat(harness.backend.isClosed()).isTrue();
    }
  }
}
