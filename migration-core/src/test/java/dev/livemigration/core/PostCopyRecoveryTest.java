package dev.livemigration.core;

import static dev.livemigration.core.MockSessions.completed;
import static dev.livemigration.core.MockSessions.failed;
import static dev.livemigration.core.MockSessions.postCopy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import dev.livemigration.api.CancelResult;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigrationSession;
import java.time.Duration;
import java.util.function.IntFunction;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A post-copy whose link breaks")
class PostCopyRecoveryTest {
  private static ProgressSample paused(int attempts) {
    return ProgressSample.builder()
        .dataTotal(1 << 30)
        .dataRemaining(300_000)
        .iteration(2)
        .mode(MigrationMode.POST_COPY_PAUSED)
        .reconnectAttempts(attempts)
        .linkFailure("connection reset by peer")
        .build();
  }

  private static ProgressSample resumed(long remaining) {
    return ProgressSample.builder().from(postCopy(remaining)).linkRecoveries(1).build();
  }

  /** Post-copy from sample 1; paused from 5 to 200 with an attempt every 50 samples, then on. */
  private static final IntFunction<ProgressSample> BREAKS_AND_RECOVERS =
      n ->
          n < 5
              ? postCopy(500_000)
              : n <= 200
                  ? paused(1 + (n - 5) / 50)
                  : n < 210 ? resumed(100_000) : completed(MigrationMode.POST_COPY);

  private static Harness harness(MigrationSession session) {
    Harness harness =
        Harness.twoNodes()
            .vmis("node02", "vmi-fedora")
            .configure(
                c ->
                    c.allowPostCopy(true)
                        .completionTimeoutPerGiB(Duration.ofSeconds(10))
                        .progressTimeout(Duration.ofSeconds(30)));
    harness.customize(b -> b.backend(MockSessions.backend(session)));
    return harness;
  }

  @Test
  @DisplayName("is paused, tells each attempt and the recovery, and then succeeds")
  void recovers() {
    MigrationSession session = MockSessions.session(BREAKS_AND_RECOVERS);
    Harness harness = harness(session);

    MigrationHandle handle = harness.migrate("job", "vmi-fedora");
    harness.advanceSeconds(100);
    assertThat(handle.state().mode()).isEqualTo(MigrationMode.POST_COPY_PAUSED);
    assertThat(handle.state().phase()).isEqualTo(MigrationPhase.RUNNING);
    harness.runUntilIdle();

    verify(session, never()).abort();
    verify(session, never()).apply(any());
    MigrationState state = handle.state();
    assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    assertThat(state.mode()).isEqualTo(MigrationMode.POST_COPY);
    assertThat(harness.events.story(handle.uid()))
        .containsSubsequence(
            "LinkBroken",
            "ReconnectAttempted",
            "ReconnectAttempted",
            "ReconnectAttempted",
            "ReconnectAttempted",
            "LinkRecovered",
            "Succeeded");
    assertThat(harness.events.of(handle.uid(), MigrationEvent.LinkBroken.class))
        .singleElement()
        .extracting(MigrationEvent.LinkBroken::reason)
        .isEqualTo("connection reset by peer");
    assertThat(harness.events.of(handle.uid(), MigrationEvent.ReconnectAttempted.class))
        .extracting(MigrationEvent.ReconnectAttempted::attempts)
        .containsExactly(1, 2, 3, 4);
    assertThat(harness.events.of(handle.uid(), MigrationEvent.LinkRecovered.class))
        .singleElement()
        .extracting(MigrationEvent.LinkRecovered::attempts)
        .isEqualTo(4);
  }

  @Test
  @DisplayName("refuses a cancel while paused, as in post-copy")
  void cancelRefused() {
    MigrationSession session = MockSessions.session(BREAKS_AND_RECOVERS);
    Harness harness = harness(session);

    MigrationHandle handle = harness.migrate("job", "vmi-fedora");
    harness.advanceSeconds(20);
    CancelResult result = handle.cancel();
    harness.runUntilIdle();

    assertThat(result.outcome()).isEqualTo(CancelResult.Outcome.REFUSED_IN_POST_COPY);
    verify(session, never()).abort();
    assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
  }

  @Test
  @DisplayName("that the backend gives up on fails, and says the guest is lost")
  void givesUp() {
    MigrationSession session =
        MockSessions.session(
            n ->
                n < 5
                    ? postCopy(500_000)
                    : n <= 50 ? paused(1 + (n - 5) / 10) : failed("recovery budget ran out"));
    Harness harness = harness(session);

    MigrationHandle handle = harness.migrate("job", "vmi-fedora");
    harness.runUntilIdle();

    MigrationState state = handle.state();
    assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
    assertThat(state.guestLocation()).contains(GuestLocation.UNKNOWN);
    assertThat(state.failureReason().orElseThrow())
        .contains("recovery budget ran out")
        .contains("the guest is lost");
  }
}
