package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A migration state's guest location")
class GuestLocationManifestTest {

  @Test
  @DisplayName("is written as guestLocation and read back")
  void roundTrip() {
    MigrationState state =
        MigrationState.builder()
            .migrationUid("uid-1")
            .phase(MigrationPhase.FAILED)
            .completed(true)
            .failed(true)
            .failureReason("the guest's location is unknown")
            .guestLocation(GuestLocation.UNKNOWN)
            .build();

    String yaml = Manifests.toYaml(state);

    assertThat(yaml).contains("guestLocation: Unknown");
    assertThat(Manifests.read(yaml, MigrationState.class)).isEqualTo(state);
  }
}
