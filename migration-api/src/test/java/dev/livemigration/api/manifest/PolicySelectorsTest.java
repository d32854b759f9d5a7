package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationPolicy;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A MigrationPolicy's selectors, read and written")
class PolicySelectorsTest {

  private static MigrationPolicy read(String spec) {
    return Manifests.read(
        "apiVersion: migrations.kubevirt.io/v1alpha1\n"
            + "kind: MigrationPolicy\n"
            + "metadata:\n  name: p\n"
            + "spec:\n"
            + spec,
        MigrationPolicy.class);
  }

  @Test
  @DisplayName("without spec.selectors matches no VMI, and is written without them")
  void none() {
    MigrationPolicy policy = read("  allowPostCopy: true\n");

    assertThat(policy.hasSelectors()).isFalse();
    assertThat(policy.matches(Map.of(), Map.of())).isFalse();
    assertThat(Manifests.toYaml(policy)).doesNotContain("selectors");
    assertThat(Manifests.read(Manifests.toYaml(policy), MigrationPolicy.class)).isEqualTo(policy);
  }

  @Test
  @DisplayName("with selectors: {} matches every VMI, and is written with them")
  void empty() {
    MigrationPolicy policy = read("  selectors: {}\n  allowPostCopy: true\n");

    assertThat(policy.hasSelectors()).isTrue();
    assertThat(policy.matches(Map.of(), Map.of("app", "db"))).isTrue();
    assertThat(Manifests.toYaml(policy)).contains("selectors");
    assertThat(Manifests.read(Manifests.toYaml(policy), MigrationPolicy.class)).isEqualTo(policy);
  }
}
