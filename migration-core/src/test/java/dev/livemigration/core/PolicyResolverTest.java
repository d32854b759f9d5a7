package dev.livemigration.core;

import static dev.livemigration.core.Harness.vmi;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Migration policies")
class PolicyResolverTest {

  /**
   * A policy from a compact spec: {@code name ns:k=v,... vmi:k=v,...}, for example {@code "gold
   * ns:tier=prod vmi:app=db"}; {@code "name {}"} has empty selectors, a bare {@code "name"} none.
   */
  static MigrationPolicy policy(String spec) {
    String[] parts = spec.split(" ");
    MigrationPolicy.Builder builder =
        MigrationPolicy.builder().name(parts[0]).hasSelectors(parts.length > 1);
    if (parts.length == 2 && parts[1].equals("{}")) {
      return builder.build();
    }
    for (String part : Arrays.copyOfRange(parts, 1, parts.length)) {
      Map<String, String> labels = labels(part.substring(part.indexOf(':') + 1));
      if (part.startsWith("ns:")) {
        builder.namespaceSelector(labels);
      } else {
        builder.virtualMachineInstanceSelector(labels);
      }
    }
    return builder.build();
  }

  static Map<String, String> labels(String spec) {
    Map<String, String> labels = new HashMap<>();
    if (!spec.isEmpty()) {
      for (String pair : spec.split(",")) {
        String[] kv = pair.split("=");
        labels.put(kv[0], kv[1]);
      }
    }
    return labels;
  }

  static Stream<Arguments> precedence() {
    String ns = "tier=prod,team=a";
    String vmi = "app=db,os=linux";
    return Stream.of(
        Arguments.of("no policy", List.of(), ns, vmi, null),
        Arguments.of("empty selectors match every VMI", List.of("any {}"), ns, vmi, "any"),
        Arguments.of(
            "no selectors match no VMI, as KubeVirt's nil selectors",
            List.of("none"),
            ns,
            vmi,
            null),
        Arguments.of(
            "a selector label with another value does not match",
            List.of("other ns:tier=test"),
            ns,
            vmi,
            null),
        Arguments.of(
            "a VMI selector is not matched by namespace labels",
            List.of("misplaced vmi:tier=prod"),
            ns,
            vmi,
            null),
        Arguments.of(
            "every selector label must match",
            List.of("half vmi:app=db,os=windows"),
            ns,
            vmi,
            null),
        Arguments.of(
            "more matching labels win",
            List.of("one ns:tier=prod", "two ns:tier=prod vmi:app=db", "zero"),
            ns,
            vmi,
            "two"),
        Arguments.of(
            "more labels win even against a smaller name",
            List.of("a ns:tier=prod", "z ns:tier=prod,team=a"),
            ns,
            vmi,
            "z"),
        Arguments.of(
            "on a tie, more VMI labels win over namespace labels",
            List.of("by-namespace ns:tier=prod,team=a", "by-vmi vmi:app=db,os=linux"),
            ns,
            vmi,
            "by-vmi"),
        Arguments.of(
            "on a tie of totals, more VMI labels win",
            List.of(
                "a-ns ns:tier=prod,team=a vmi:app=db", "b-vmi ns:tier=prod vmi:app=db,os=linux"),
            ns,
            vmi,
            "b-vmi"),
        Arguments.of(
            "on a full tie, the smaller name wins",
            List.of("beta vmi:app=db", "alpha vmi:os=linux", "gamma vmi:app=db"),
            ns,
            vmi,
            "alpha"),
        Arguments.of(
            "a more specific policy that does not match loses to a general one that does",
            List.of("general {}", "specific ns:tier=prod vmi:app=web"),
            ns,
            vmi,
            "general"));
  }

  @Nested
  @DisplayName("precedence")
  class Precedence {
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.livemigration.core.PolicyResolverTest#precedence")
    @DisplayName("follows KubeVirt's rules")
    void table(
        String description,
        List<String> policies,
        String namespaceLabels,
        String vmiLabels,
        String expected) {
      List<MigrationPolicy> all = policies.stream().map(PolicyResolverTest::policy).toList();
      List<MigrationPolicy> reversed = new ArrayList<>(all);
      java.util.Collections.reverse(reversed);

      Optional<String> winner =
          PolicyResolver.resolve(all, labels(namespaceLabels), labels(vmiLabels))
              .map(MigrationPolicy::name);
      Optional<String> winnerReversed =
          PolicyResolver.resolve(reversed, labels(namespaceLabels), labels(vmiLabels))
              .map(MigrationPolicy::name);

      assertThat(winner).isEqualTo(Optional.ofNullable(expected));
      assertThat(winnerReversed).isEqualTo(winner);
    }
  }

  @Nested
  @DisplayName("in the engine")
  class InTheEngine {
    private final MigrationConfiguration cluster =
        MigrationConfiguration.builder()
            .bandwidthPerMigration(Quantity.parse("64Mi"))
            .progressTimeout(Duration.ofSeconds(120))
            .build();
    private final MigrationPolicy gold =
        MigrationPolicy.builder()
            .name("gold")
            .putNamespaceSelector("tier", "prod")
            .putVirtualMachineInstanceSelector("app", "db")
            .bandwidthPerMigration(Quantity.parse("1Gi"))
            .completionTimeoutPerGiB(Duration.ofSeconds(300))
            .allowPostCopy(true)
            .allowAutoConverge(true)
            .build();
    private final MigrationPolicy silver =
        MigrationPolicy.builder()
            .name("silver")
            .putNamespaceSelector("tier", "prod")
            .bandwidthPerMigration(Quantity.parse("128Mi"))
            .build();

    private Harness harness() {
      Harness harness = Harness.twoNodes().configuration(cluster).policies(silver, gold);
      harness.inventory.namespace("prod", Map.of("tier", "prod"));
      harness.inventory.vmi(vmi("db", "node02").namespace("prod").putLabels("app", "db").build());
      harness.inventory.vmi(vmi("web", "node02").namespace("prod").putLabels("app", "web").build());
      harness.inventory.vmi(vmi("db", "node02").namespace("test").putLabels("app", "db").build());
      return harness;
    }

    private MigrationHandle migrate(Harness harness, String namespace, String vmi) {
      return harness
          .engine()
          .migrate(
              VirtualMachineInstanceMigration.builder()
                  .namespace(namespace)
                  .name("job-" + vmi)
                  .vmiName(vmi)
                  .build());
    }

    @Test
    @DisplayName("records the winning policy's name and the effective configuration")
    void recordsPolicy() {
      Harness harness = harness();

      MigrationHandle db = migrate(harness, "prod", "db");
      MigrationHandle web = migrate(harness, "prod", "web");
      MigrationHandle test = migrate(harness, "test", "db");
      harness.runUntilIdle();

      assertThat(db.state().migrationPolicyName()).contains("gold");
      assertThat(db.state().migrationConfig()).contains(gold.applyTo(cluster));
      MigrationConfiguration effective = db.state().migrationConfig().orElseThrow();
      assertThat(effective.bandwidthPerMigration()).isEqualTo(Quantity.parse("1Gi"));
      assertThat(effective.completionTimeoutPerGiB()).isEqualTo(Duration.ofSeconds(300));
      assertThat(effective.allowPostCopy()).isTrue();
      assertThat(effective.allowAutoConverge()).isTrue();
      assertThat(effective.progressTimeout()).isEqualTo(Duration.ofSeconds(120));

      assertThat(web.state().migrationPolicyName()).contains("silver");
      assertThat(web.state().migrationConfig().orElseThrow().bandwidthPerMigration())
          .isEqualTo(Quantity.parse("128Mi"));
      assertThat(web.state().migrationConfig().orElseThrow().allowPostCopy()).isFalse();

      assertThat(test.state().migrationPolicyName()).isEmpty();
      assertThat(test.state().migrationConfig()).contains(cluster);
    }

    @Test
    @DisplayName("hands the effective configuration to the backend")
    void effectiveConfigurationReachesBackend() {
      Harness harness = harness();

      MigrationHandle db = migrate(harness, "prod", "db");
      harness.runUntilIdle();

      assertThat(harness.backend.session(db.uid()).spec().configuration())
          .isEqualTo(gold.applyTo(cluster));
    }
  }
}
