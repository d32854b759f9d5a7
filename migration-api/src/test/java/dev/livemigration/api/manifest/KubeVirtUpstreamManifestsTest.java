package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationCompression;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Quantity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Manifests that KubeVirt's own people wrote or a KubeVirt cluster printed, not a fuzzer and not a
 * design document: the current user guide (kubevirt/user-guide), an open user-guide pull request,
 * and a migration state pasted into a kubevirt/kubevirt issue. Each file under {@code
 * src/test/resources/manifests/kubevirt-1.9} starts with a comment line that says where it came
 * from; below it the text is unchanged.
 */
@DisplayName("Manifests reads KubeVirt's own current manifests")
class KubeVirtUpstreamManifestsTest {
  private static final String DIR = "kubevirt-1.9/";

  private static String text(String file) {
    try {
      return Files.readString(GuideSnippets.path(DIR + file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> messages(ManifestException e) {
    return e.problems().stream().map(ManifestException.Problem::message).toList();
  }

  @Nested
  @DisplayName("the user guide's KubeVirt CRs")
  class KubeVirtCrs {
    @Test
    @DisplayName("the 1.9 stall-detection CR: its gate, and the guide's default maxDowntimeMs")
    void stallDetection() {
      // kubevirt/user-guide docs/compute/live_migration.md, lines 512-521, at
      // bf1f3564e2a41eb059df5ab126724bb78cf15200 ("Stall detection", KubeVirt v1.9 Alpha).
      ManifestResult<KubeVirt> result =
          Manifests.readWithWarnings(
              GuideSnippets.path(DIR + "user-guide-kubevirt-stall-detection.yaml"), KubeVirt.class);
      KubeVirt kubeVirt = result.value();

      assertThat(result.warnings()).isEmpty();
      assertThat(kubeVirt.name()).isEqualTo("kubevirt");
      assertThat(kubeVirt.namespace()).isEqualTo("kubevirt");
      assertThat(kubeVirt.featureGates()).containsExactly("MigrationStallDetection");
      // The page: "maxDowntimeMs (default 900)"; the CR leaves it out.
      assertThat(kubeVirt.migrations().maxDowntimeMs()).isEqualTo(900);
      assertThat(kubeVirt.migrations().allowWorkloadDisruption()).isFalse();
      assertThat(Manifests.read(Manifests.toYaml(kubeVirt), KubeVirt.class)).isEqualTo(kubeVirt);
    }

    @Test
    @DisplayName("the workload-disruption snippet: only a fragment, refused for its missing kind")
    void workloadDisruptionFragment() {
      // kubevirt/user-guide docs/compute/live_migration.md, lines 219-223, at
      // bf1f3564e2a41eb059df5ab126724bb78cf15200: a spec to put into the KubeVirt CR, no kind.
      ManifestException e =
          catchThrowableOfType(
              ManifestException.class,
              () ->
                  Manifests.read(
                      GuideSnippets.path(DIR + "user-guide-kubevirt-workload-disruption.yaml"),
                      KubeVirt.class));

      assertThat(messages(e))
          .containsExactly("kind is missing but it is required; it must be KubeVirt");
    }

    @Test
    @DisplayName("the workload-disruption snippet under the guide's own CR header")
    void workloadDisruption() {
      // The snippet as the page says to use it: in the KubeVirt CR, whose apiVersion and kind the
      // same page gives (lines 156-157); de-indented from the list item it sits in.
      String snippet = text("user-guide-kubevirt-workload-disruption.yaml");
      String cr =
          "apiVersion: kubevirt.io/v1\nkind: KubeVirt\n"
              + snippet.substring(snippet.indexOf('\n') + 1).stripTrailing().stripIndent();
      ManifestResult<KubeVirt> result = Manifests.readWithWarnings(cr, KubeVirt.class);
      MigrationConfiguration migrations = result.value().migrations();

      assertThat(result.warnings()).isEmpty();
      assertThat(migrations.allowWorkloadDisruption()).isTrue();
      assertThat(migrations.allowPostCopy()).isTrue();
      assertThat(migrations.maxDowntimeMs()).isEqualTo(900);
      assertThat(Manifests.read(Manifests.toYaml(result.value()), KubeVirt.class))
          .isEqualTo(result.value());
    }
  }

  @Nested
  @DisplayName("a policy with experimental settings")
  class Policies {
    @Test
    @DisplayName("user-guide PR 1024's zstd policy: compression read, applied and written back")
    void compression() {
      // kubevirt/user-guide pull request #1024 ("document live migration compression"),
      // docs/compute/live_migration.md, lines 560-569, at 1652fba6f859f29a10d0df9de0c428fb3b15591b.
      ManifestResult<MigrationPolicy> result =
          Manifests.readWithWarnings(
              GuideSnippets.path(DIR + "user-guide-pr1024-policy-compression.yaml"),
              MigrationPolicy.class);
      MigrationPolicy policy = result.value();

      assertThat(result.warnings()).isEmpty();
      assertThat(policy.name()).isEqualTo("compress-heavy-vms");
      assertThat(policy.namespaceSelector())
          .containsExactly(Map.entry("workload-type", "memory-intensive"));
      assertThat(policy.virtualMachineInstanceSelector()).isEmpty();
      assertThat(policy.experimental().flatMap(x -> x.compression()))
          .contains(MigrationCompression.ZSTD);
      assertThat(policy.experimental().flatMap(x -> x.downtimeTuning())).isEmpty();
      assertThat(policy.experimental().flatMap(x -> x.stallDetector())).isEmpty();
      // Only the experimental section is set: the rest comes from the cluster's configuration.
      assertThat(policy.maxDowntimeMs()).isEmpty();
      assertThat(policy.allowPostCopy()).isEmpty();
      MigrationConfiguration applied = policy.applyTo(MigrationConfiguration.defaults());
      assertThat(applied.experimental().flatMap(x -> x.compression()))
          .contains(MigrationCompression.ZSTD);
      assertThat(applied.maxDowntimeMs()).isEqualTo(900);
      assertThat(Manifests.toYaml(policy)).contains("compression: zstd");
      assertThat(Manifests.read(Manifests.toYaml(policy), MigrationPolicy.class)).isEqualTo(policy);
    }
  }

  @Nested
  @DisplayName("a migration state a KubeVirt 1.6.2 cluster printed")
  class States {
    private MigrationState state() {
      ManifestResult<MigrationState> result =
          Manifests.readWithWarnings(
              GuideSnippets.path(DIR + "issue-16622-migration-state-1.6.2.yaml"),
              MigrationState.class);
      // Nothing in this state is refused; sourcePod, which only means something to Kubernetes, is
      // read and reported as ignored.
      assertThat(result.warnings())
          .extracting(ManifestWarning::message)
          .containsExactly("sourcePod is read but ignored: it only means something to Kubernetes");
      return result.value();
    }

    @Test
    @DisplayName("issue 16622: a pre-copy migration under way, its nodes, pod, ports and start")
    void underWay() {
      // kubevirt/kubevirt issue #16622 (https://github.com/kubevirt/kubevirt/issues/16622): the
      // JSON that `kubectl get vmi -o jsonpath='{.status.migrationState}'` printed.
      MigrationState state = state();

      assertThat(state.migrationUid()).isEqualTo("08f3bfbe-fb44-4ab2-893b-7b13098c5e54");
      assertThat(state.mode()).isEqualTo(MigrationMode.PRE_COPY);
      assertThat(state.phase()).isEqualTo(MigrationPhase.RUNNING);
      assertThat(state.startTimestamp()).contains(Instant.parse("2026-01-22T01:58:17Z"));
      assertThat(state.endTimestamp()).isEmpty();
      assertThat(state.completed()).isFalse();
      assertThat(state.failed()).isFalse();
      assertThat(state.abortRequested()).isFalse();
      assertThat(state.abortStatus()).isEmpty();
      assertThat(state.migrationPolicyName()).contains("i-tceo7ptz-policy");
      assertThat(state.sourceNode()).contains("rongqi-node02");
      assertThat(state.targetNode()).contains("rongqi-node03");
      assertThat(state.targetNodeAddress()).contains("11.0.254.149");
      assertThat(state.targetNodeDomainDetected()).isFalse();
      assertThat(state.targetPod()).contains("virt-launcher-i-tceo7ptz-wz2x4");
      assertThat(state.targetDirectMigrationNodePorts())
          .containsExactlyInAnyOrderEntriesOf(Map.of(34815, 49153, 34895, 0, 46051, 49152));
    }

    @Test
    @DisplayName("issue 16622: the configuration the migration was given")
    void configuration() {
      MigrationConfiguration config = state().migrationConfig().orElseThrow();

      assertThat(config.allowAutoConverge()).isTrue();
      assertThat(config.allowPostCopy()).isFalse();
      assertThat(config.allowWorkloadDisruption()).isFalse();
      assertThat(config.bandwidthPerMigration()).isEqualTo(Quantity.ZERO);
      assertThat(config.completionTimeoutPerGiB()).isEqualTo(Duration.ofSeconds(150));
      assertThat(config.progressTimeout()).isEqualTo(Duration.ofSeconds(150));
      assertThat(config.nodeDrainTaintKey()).isEqualTo("kubevirt.io/drain");
      assertThat(config.parallelMigrationsPerCluster()).isEqualTo(30);
      assertThat(config.parallelOutboundMigrationsPerNode()).isEqualTo(20);
      assertThat(config.unsafeMigrationOverride()).isFalse();
      // 1.6 had no maxDowntimeMs: our default fills it.
      assertThat(config.maxDowntimeMs()).isEqualTo(900);
    }

    @Test
    @DisplayName("issue 16622: written back and read again, the state is the same")
    void roundTrip() {
      MigrationState state = state();

      assertThat(Manifests.read(Manifests.toYaml(state), MigrationState.class)).isEqualTo(state);
      assertThat(Manifests.read(Manifests.toJson(state), MigrationState.class)).isEqualTo(state);
    }
  }
}
