package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationPolicy;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Label keys")
class LabelKeysTest {

  @Test
  @DisplayName("are case-sensitive, unlike field names")
  void labelKeysAreCaseSensitive() {
    MigrationPolicy policy =
        Manifests.read(
            """
            apiVersion: migrations.kubevirt.io/v1alpha1
            kind: MigrationPolicy
            metadata:
              name: tiers
            spec:
              selectors:
                virtualMachineInstanceSelector:
                  tier: db
                  Tier: web
            """,
            MigrationPolicy.class);

    assertThat(policy.virtualMachineInstanceSelector())
        .containsEntry("tier", "db")
        .containsEntry("Tier", "web");
  }
}
