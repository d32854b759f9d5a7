package dev.livemigration.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("MigrationState")
class MigrationStateTest {

  @Test
  @DisplayName("derives its phase from the guide's flags when none is given")
  void derivesPhase() {
    assertThat(MigrationState.builder().migrationUid("u").build().phase())
        .isEqualTo(MigrationPhase.PENDING);
    assertThat(MigrationState.builder().migrationUid("u").completed(true).build().phase())
        .isEqualTo(MigrationPhase.SUCCEEDED);
    assertThat(
            MigrationState.builder()
                .migrationUid("u")
                .completed(true)
                .failed(true)
                .abortRequested(true)
                .abortStatus(AbortStatus.SUCCEEDED)
                .build()
                .phase())
        .isEqualTo(MigrationPhase.FAILED);
  }

  @Test
  @DisplayName("keeps an explicit phase and defaults to pre-copy")
  void explicitPhase() {
    MigrationState running =
        MigrationState.builder().migrationUid("u").phase(MigrationPhase.RUNNING).build();

    assertThat(running.phase()).isEqualTo(MigrationPhase.RUNNING);
    assertThat(running.mode()).isEqualTo(MigrationMode.PRE_COPY);
    assertThat(running.phase().isTerminal()).isFalse();
  }

  @Test
  @DisplayName("rejects ports outside the TCP range")
  void rejectsBadPorts() {
    assertThatThrownBy(
            () ->
                MigrationState.builder()
                    .migrationUid("u")
                    .putTargetDirectMigrationNodePorts(35001, 70000)
                    .build())
        .isInstanceOf(InvalidValueException.class)
        .hasMessage(
            "targetDirectMigrationNodePorts[35001] must be a TCP port between 0 and 65535, but"
                + " was 70000");
  }
}
