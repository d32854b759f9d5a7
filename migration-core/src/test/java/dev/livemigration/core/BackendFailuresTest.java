package dev.livemigration.core;

import static dev.livemigration.core.Harness.T0;
import static dev.livemigration.core.MockSessions.active;
import static dev.livemigration.core.MockSessions.failed;
import static dev.livemigration.core.MockSessions.postCopy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.verify;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.core.ScriptedBackend.Step;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@DisplayName("Backend failures")
class BackendFailuresTest {
  private final Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora", "next");

  private MigrationState failWith(Script script) {
    harness.backend.script("vmi-fedora", script);
    MigrationHandle handle = harness.migrate("job", "vmi-fedora");
    harness.runUntilIdle();
    return handle.state();
  }

  private void assertFailedOnSource(MigrationState state, String message) {
    assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
    assertThat(state.completed()).isTrue();
    assertThat(state.failed()).isTrue();
    assertThat(state.failureReason()).hasValueSatisfying(r -> assertThat(r).contains(message));
    assertThat(state.endTimestamp()).isPresent();
    assertThat(harness.inventory.nodeOf("vmi-fedora")).isEqualTo("node02");
    assertThat(harness.inventory.moves()).isEmpty();
    assertThat(harness.backend.openSessions()).isZero();
    assertThat(harness.backend.sessions()).allMatch(ScriptedSession::isClosed);
    assertThat(harness.events.kinds(state.migrationUid()))
        .containsOnlyOnce("Failed")
        .endsWith("Failed");
  }

  @Nested
  @DisplayName("while starting")
  class Starting {
    @Test
    @DisplayName("in open fail the migration with the backend's message")
    void open() {
      MigrationState state = failWith(Script.CONVERGING.failing(Step.OPEN, "no route to host"));

      assertFailedOnSource(state, "no route to host");
      assertThat(state.failureReason().orElseThrow()).startsWith("could not start");
      assertThat(harness.backend.sessions()).isEmpty();
      assertThat(harness.events.story(state.migrationUid()))
          .containsExactly("Queued", "Scheduled", "Failed");
    }

    @Test
    @DisplayName("in prepareTarget fail it and close the session")
    void prepareTarget() {
      MigrationState state =
          failWith(Script.CONVERGING.failing(Step.PREPARE_TARGET, "target pod unschedulable"));

      assertFailedOnSource(state, "target pod unschedulable");
      assertThat(harness.backend.steps(state.migrationUid()))
          .containsExactly(Step.OPEN, Step.PREPARE_TARGET, Step.CLOSE);
    }

    @Test
    @DisplayName("in start fail it and close the session")
    void start() {
      MigrationState state = failWith(Script.CONVERGING.failing(Step.START, "handshake refused"));

      assertFailedOnSource(state, "handshake refused");
      assertThat(state.startTimestamp()).isEmpty();
      assertThat(harness.backend.steps(state.migrationUid()))
          .containsExactly(Step.OPEN, Step.PREPARE_TARGET, Step.START, Step.CLOSE);
      assertThat(harness.events.story(state.migrationUid()))
          .containsExactly("Queued", "Scheduled", "TargetReady", "Failed");
    }

    @Test
    @DisplayName("when the source node is missing from the inventory fail the migration")
    void missingSourceNode() {
      harness.inventory.vmi(Harness.vmi("orphan", "node99").build());

      MigrationHandle handle = harness.migrate("job", "orphan");
      harness.runUntilIdle();

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(handle.state().failureReason().orElseThrow()).contains("node99");
    }
  }

  @Nested
  @DisplayName("while running")
  class Running {
    @Test
    @DisplayName("in sample fail the migration, abort the job and close the session")
    void sample() {
      MigrationState state =
          failWith(Script.neverConverging().failingOnSample(3, "connection reset by peer"));

      assertFailedOnSource(state, "connection reset by peer");
      assertThat(state.failureReason().orElseThrow()).startsWith("lost track of the migration");
      assertThat(state.endTimestamp()).contains(T0.plusSeconds(3));
      assertThat(harness.backend.steps(state.migrationUid())).endsWith(Step.ABORT, Step.CLOSE);
    }

    @Test
    @DisplayName("in apply are logged: the migration goes on until its timeouts end it")
    void apply() {
      harness.configure(c -> c.allowAutoConverge(true));

      MigrationState state =
          failWith(Script.neverConverging().failing(Step.APPLY, "throttle not supported"));

      assertFailedOnSource(state, "timeout");
    }

    @Test
    @DisplayName("in abort after a cancel fail the migration, the abort's outcome failed")
    void abort() {
      harness.backend.script(
          "vmi-fedora", Script.neverConverging().failing(Step.ABORT, "job not found"));
      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.advanceSeconds(5);

      handle.cancel();
      harness.runUntilIdle();

      assertFailedOnSource(handle.state(), "job not found");
      assertThat(handle.state().abortStatus()).contains(AbortStatus.FAILED);
    }

    @Test
    @DisplayName("in close are logged: the migration still succeeds")
    void close() {
      harness.backend.script("vmi-fedora", Script.CONVERGING.failing(Step.CLOSE, "cleanup failed"));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(harness.backend.openSessions()).isZero();
    }

    @Test
    @DisplayName("reported by a FAILED sample fail the migration with the backend's reason")
    void failedSample() {
      MigrationSession session =
          MockSessions.session(n -> n < 4 ? active(1_000 - n) : failed("qemu crashed"));
      harness.customize(b -> b.backend(MockSessions.backend(session)));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(handle.state().failureReason()).contains("qemu crashed");
      verify(session).close();
    }

    @Test
    @DisplayName("in post-copy say that the guest is lost")
    void failedInPostCopy() {
      MigrationSession session =
          MockSessions.session(
              n ->
                  n < 3
                      ? active(1_000 - n)
                      : n < 6
                          ? postCopy(500)
                          : ProgressSample.builder()
                              .from(failed("link down"))
                              .mode(MigrationMode.POST_COPY)
                              .build());
      harness.customize(b -> b.backend(MockSessions.backend(session)));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(handle.state().mode()).isEqualTo(MigrationMode.POST_COPY);
      assertThat(handle.state().failureReason().orElseThrow())
          .contains("link down")
          .contains("guest is lost");
    }

    @Test
    @DisplayName(
        "in post-copy say that the guest is lost, even when the last sample omits the mode")
    void failedInPostCopyWithoutMode() {
      MigrationSession session =
          MockSessions.session(
              n -> n < 3 ? active(1_000 - n) : n < 6 ? postCopy(500) : failed("link down"));
      harness.customize(b -> b.backend(MockSessions.backend(session)));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(handle.state().failureReason().orElseThrow())
          .contains("link down")
          .contains("guest is lost");
    }

    @Test
    @DisplayName("to confirm an abort end the migration after another progress timeout")
    void abortNeverConfirmed() {
      MigrationSession session = MockSessions.session(n -> active(1_000));
      harness.customize(b -> b.backend(MockSessions.backend(session)));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      verify(session).abort();
      verify(session).close();
      assertThat(handle.completion()).isDone();
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(handle.state().endTimestamp()).contains(T0.plusSeconds(151 + 150));
      assertThat(handle.state().failureReason().orElseThrow())
          .contains("progress timeout")
          .contains("did not confirm the abort");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Step.class)
  @DisplayName("at any step end the migration exactly once and free its slot")
  void anyStepEndsOnce(Step step) {
    harness.configure(c -> c.allowAutoConverge(true).parallelMigrationsPerCluster(1));
    harness.backend.script("vmi-fedora", Script.neverConverging().failing(step, "boom at " + step));
    MigrationHandle handle = harness.migrate("job", "vmi-fedora");
    MigrationHandle next = harness.migrate("job-next", "next");
    harness.advanceSeconds(100);
    handle.cancel();

    harness.runUntilIdle();

    MigrationState state = handle.state();
    assertThat(handle.completion()).isDone();
    assertThat(handle.completion().join().phase()).isEqualTo(state.phase());
    assertThat(state.completed()).isTrue();
    assertThat(harness.events.kinds(handle.uid()))
        .filteredOn(kind -> kind.equals("Succeeded") || kind.equals("Failed"))
        .hasSize(1);
    assertThat(harness.inventory.nodeOf("vmi-fedora"))
        .isEqualTo(state.phase() == MigrationPhase.SUCCEEDED ? "node01" : "node02");
    assertThat(next.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    assertThat(harness.backend.openSessions()).isZero();
    assertThat(((DefaultMigrationEngine) harness.engine()).counters()).containsExactly(0, 0);
    List<String> kinds = harness.events.kinds(handle.uid());
    assertThat(kinds.get(kinds.size() - 1)).isIn("Succeeded", "Failed");
  }
}
