package dev.livemigration.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("MigrationPolicy")
class MigrationPolicyTest {
  private final MigrationPolicy hpc =
      MigrationPolicy.builder()
          .name("hpc")
          .putNamespaceSelector("hpc-workloads", "true")
          .putVirtualMachineInstanceSelector("workload-type", "db")
          .allowPostCopy(true)
          .completionTimeoutPerGiB(Duration.ofSeconds(23))
          .build();

  @Test
  @DisplayName("matches only when every selector label is present with the same value")
  void matchesAllLabels() {
    Map<String, String> namespace = Map.of("hpc-workloads", "true", "team", "a");

    assertThat(hpc.matches(namespace, Map.of("workload-type", "db"))).isTrue();
    assertThat(hpc.matches(namespace, Map.of("workload-type", "web"))).isFalse();
    assertThat(hpc.matches(Map.of(), Map.of("workload-type", "db"))).isFalse();
  }

  @Test
  @DisplayName("with empty selectors matches every VMI")
  void emptySelectorsMatchAll() {
    MigrationPolicy all = MigrationPolicy.builder().name("all").hasSelectors(true).build();

    assertThat(all.matches(Map.of(), Map.of())).isTrue();
  }

  @Test
  @DisplayName("without selectors matches no VMI, as KubeVirt's nil selectors")
  void noSelectorsMatchNothing() {
    MigrationPolicy none = MigrationPolicy.builder().name("none").build();

    assertThat(none.hasSelectors()).isFalse();
    assertThat(none.matches(Map.of(), Map.of())).isFalse();
    assertThat(none.matches(Map.of("a", "b"), Map.of("c", "d"))).isFalse();
  }

  @Test
  @DisplayName("overrides only the fields it sets")
  void overridesOnlyItsFields() {
    MigrationConfiguration effective = hpc.applyTo(MigrationConfiguration.defaults());

    assertThat(effective.allowPostCopy()).isTrue();
    assertThat(effective.completionTimeoutPerGiB()).isEqualTo(Duration.ofSeconds(23));
    assertThat(effective.allowAutoConverge()).isFalse();
    assertThat(effective.bandwidthPerMigration()).isEqualTo(Quantity.parse("64Mi"));
  }

  @Test
  @DisplayName("rejects bad names and labels, naming them")
  void rejectsBadNames() {
    assertThatThrownBy(() -> MigrationPolicy.builder().name("My_Policy").build())
        .isInstanceOf(InvalidValueException.class)
        .hasMessageStartingWith("name must be a DNS-1123 subdomain")
        .hasMessageEndingWith("but was 'My_Policy'");
    assertThatThrownBy(
            () ->
                MigrationPolicy.builder()
                    .name("p")
                    .putVirtualMachineInstanceSelector("tier", "not ok")
                    .build())
        .hasMessageStartingWith("virtualMachineInstanceSelector[tier] must be a label value")
        .hasMessageEndingWith("but was 'not ok'");
    assertThatThrownBy(
            () -> MigrationPolicy.builder().name("p").putNamespaceSelector("-x", "").build())
        .hasMessageStartingWith("namespaceSelector key must be a label name");
  }
}
