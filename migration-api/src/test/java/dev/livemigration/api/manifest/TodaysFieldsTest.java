package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livemigration.api.DowntimeTuning;
import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.MigrationCompression;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationNetworkType;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationPriority;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.PortRange;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.StallDetector;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@DisplayName("The fields KubeVirt added since the guide")
class TodaysFieldsTest {
  private static List<String> problems(String yaml, Class<?> type) {
    ManifestException e =
        catchThrowableOfType(ManifestException.class, () -> Manifests.read(yaml, type));
    return e.problems().stream().map(ManifestException.Problem::message).toList();
  }

  private static <T> T roundTrip(T value, Class<T> type) {
    return Manifests.read(Manifests.toYaml(value), type);
  }

  private static final ExperimentalMigrationOptions STALL =
      ExperimentalMigrationOptions.builder()
          .stallDetector(
              StallDetector.builder()
                  .stallMargin(10)
                  .ewmaAlpha(Quantity.parse("0.25"))
                  .stallProgressTimeout(Duration.ofSeconds(90))
                  .switchoverTimeout(Duration.ZERO)
                  .precopyPossibleFactor(Quantity.parse("3"))
                  .patienceWindowDecayFactor(Quantity.parse("0"))
                  .searchLocalMinima(false)
                  .completionTimeoutFactor(Quantity.parse("1.25"))
                  .build())
          .compression(MigrationCompression.NONE)
          .build();

  @Nested
  @DisplayName("round trips through toYaml")
  class RoundTrips {
    @Test
    @DisplayName("a configuration with maxDowntimeMs, allowWorkloadDisruption and experimental")
    void configuration() {
      MigrationConfiguration config =
          MigrationConfiguration.builder()
              .maxDowntimeMs(2_000_000)
              .allowWorkloadDisruption(true)
              .experimental(STALL)
              .build();

      assertThat(roundTrip(config, MigrationConfiguration.class)).isEqualTo(config);
    }

    @Test
    @DisplayName("a policy with every new override")
    void policy() {
      MigrationPolicy policy =
          MigrationPolicy.builder()
              .name("p")
              .allowWorkloadDisruption(false)
              .maxDowntimeMs(1L)
              .experimental(
                  ExperimentalMigrationOptions.builder()
                      .downtimeTuning(DowntimeTuning.builder().steps(1).build())
                      .compression(MigrationCompression.ZSTD)
                      .build())
              .build();

      assertThat(roundTrip(policy, MigrationPolicy.class)).isEqualTo(policy);
    }

    @ParameterizedTest
    @EnumSource(MigrationPriority.class)
    @DisplayName("a migration with each priority and an added node selector")
    void migration(MigrationPriority priority) {
      VirtualMachineInstanceMigration migration =
          VirtualMachineInstanceMigration.builder()
              .name("m")
              .vmiName("v")
              .priority(priority)
              .putAddedNodeSelector("topology.kubernetes.io/zone", "east")
              .build();

      assertThat(Manifests.toYaml(migration)).contains("priority: " + priority.wireName());
      assertThat(roundTrip(migration, VirtualMachineInstanceMigration.class)).isEqualTo(migration);
    }

    @ParameterizedTest
    @EnumSource(MigrationPhase.class)
    @DisplayName("a paused state in each phase, on each network type")
    void state(MigrationPhase phase) {
      MigrationState state =
          MigrationState.builder()
              .migrationUid("u")
              .phase(phase)
              .mode(MigrationMode.PAUSED)
              .migrationNetworkType(MigrationNetworkType.values()[phase.ordinal() % 2])
              .migrationConfig(MigrationConfiguration.builder().experimental(STALL).build())
              .build();

      assertThat(roundTrip(state, MigrationState.class)).isEqualTo(state);
    }

    @Test
    @DisplayName("a VMI with today's bindings, port ranges, volumes and a resource claim network")
    void instance() {
      VirtualMachineInstance vmi =
          VirtualMachineInstance.builder()
              .name("vmi")
              .nodeName("node01")
              .memory(Quantity.parse("1Gi"))
              .addInterfaces(
                  NetworkInterface.builder()
                      .name("default")
                      .binding(InterfaceBinding.PASST_BINDING)
                      .addPortRanges(new PortRange(8000, 8080))
                      .build(),
                  NetworkInterface.builder()
                      .name("plugged")
                      .binding(InterfaceBinding.PLUGIN)
                      .bindingPlugin("managedtap")
                      .podNetwork(false)
                      .build(),
                  NetworkInterface.builder()
                      .name("tap")
                      .binding(InterfaceBinding.MACVTAP)
                      .podNetwork(false)
                      .build(),
                  NetworkInterface.builder()
                      .name("dra")
                      .binding(InterfaceBinding.SRIOV)
                      .podNetwork(false)
                      .resourceClaimName("sriov-claim")
                      .resourceClaimRequestName("vf")
                      .build())
              .addVolumes(
                  Volume.builder().name("eph").type(VolumeType.EPHEMERAL).build(),
                  Volume.builder().name("dump").type(VolumeType.MEMORY_DUMP).build(),
                  Volume.builder().name("creds").type(VolumeType.CONTAINER_PATH).build())
              .build();

      assertThat(Manifests.readVirtualMachineInstances(Manifests.toYaml(vmi))).containsExactly(vmi);
    }
  }

  @Nested
  @DisplayName("rules: which field, what rule, what value")
  class Rules {
    @Test
    @DisplayName("maxDowntimeMs between 1 and 2000000, as KubeVirt's CRD says")
    void maxDowntime() {
      assertThatThrownBy(() -> MigrationConfiguration.builder().maxDowntimeMs(0).build())
          .isInstanceOf(InvalidValueException.class)
          .hasMessage("maxDowntimeMs must be between 1 and 2000000, but was 0");
      assertThat(problems("migrations:\n  maxDowntimeMs: 2000001\n", MigrationConfiguration.class))
          .containsExactly(
              "migrations.maxDowntimeMs was 2000001 but it must be between 1 and 2000000");
      assertThat(
              problems(
                  "apiVersion: migrations.kubevirt.io/v1alpha1\nkind: MigrationPolicy\n"
                      + "metadata: {name: p}\nspec:\n  maxDowntimeMs: -1\n",
                  MigrationPolicy.class))
          .containsExactly("spec.maxDowntimeMs was -1 but it must be between 1 and 2000000");
    }

    @Test
    @DisplayName("stallDetector and downtimeTuning exclude each other, as in KubeVirt's admitter")
    void exclusive() {
      assertThat(
              problems(
                  "apiVersion: migrations.kubevirt.io/v1alpha1\nkind: MigrationPolicy\n"
                      + "metadata: {name: p}\nspec:\n  experimental:\n"
                      + "    stallDetector: {}\n    downtimeTuning: {}\n",
                  MigrationPolicy.class))
          .containsExactly(
              "spec.experimental.stallDetector was a map but it must not be given together with"
                  + " downtimeTuning (the stall detector sets its own downtime schedule)");
    }

    @Test
    @DisplayName("each experimental setting at its path")
    void experimental() {
      assertThat(
              problems(
                  "apiVersion: migrations.kubevirt.io/v1alpha1\nkind: MigrationPolicy\n"
                      + "metadata: {name: p}\nspec:\n  experimental:\n    compression: lz4\n"
                      + "    downtimeTuning:\n      steps: 0\n      cooldownSeconds: 0\n",
                  MigrationPolicy.class))
          .containsExactly(
              "spec.experimental.compression was 'lz4' but it must be one of none, zstd",
              "spec.experimental.downtimeTuning.steps was 0 but it must be >= 1",
              "spec.experimental.downtimeTuning.cooldownSeconds was 0 but it must be a positive"
                  + " number of seconds");
      assertThat(
              problems(
                  "migrationConfiguration:\n  experimental:\n    stallDetector:\n"
                      + "      patienceWindowDecayFactor: '1.5'\n"
                      + "      completionTimeoutFactor: '0.5'\n",
                  MigrationConfiguration.class))
          .containsExactly(
              "migrationConfiguration.experimental.stallDetector.patienceWindowDecayFactor was"
                  + " '1.5' but it must be between 0 and 1",
              "migrationConfiguration.experimental.stallDetector.completionTimeoutFactor was"
                  + " '0.5' but it must be at least 1");
    }

    @Test
    @DisplayName("a priority as KubeVirt spells it; sendTo and receive not supported")
    void migration() {
      assertThat(
              problems(
                  "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\n"
                      + "metadata: {name: m}\nspec:\n  vmiName: v\n  priority: SystemCritical\n"
                      + "  addedNodeSelector: {'bad key': x}\n"
                      + "  sendTo: {migrationID: a, connectURL: 'https://b'}\n"
                      + "  receive: {migrationID: a}\n",
                  VirtualMachineInstanceMigration.class))
          .containsExactly(
              "spec.priority was 'SystemCritical' but it must be one of system-critical,"
                  + " user-triggered, system-maintenance",
              "spec.addedNodeSelector key was 'bad key' but it must be a label name (letters,"
                  + " digits, '-', '_' and '.', starting and ending with a letter or digit, at"
                  + " most 63 characters, optionally after a DNS prefix and '/')",
              "spec.sendTo is not supported: this library does not run cross-cluster"
                  + " (decentralized) migrations",
              "spec.receive is not supported: this library does not run cross-cluster"
                  + " (decentralized) migrations");
    }

    @Test
    @DisplayName("a binding plugin needs its name; a port range its order")
    void interfaces() {
      assertThatThrownBy(
              () -> NetworkInterface.builder().name("n").binding(InterfaceBinding.PLUGIN).build())
          .hasMessage(
              "interfaces[n].bindingPlugin must be given exactly when the binding is PLUGIN, but"
                  + " was absent with PLUGIN");
      assertThatThrownBy(() -> new PortRange(90, 80))
          .hasMessage("end must be a port between start (90) and 65535, but was 80");
    }

    @Test
    @DisplayName("KubeVirt's live-migration rule for the pod network's binding")
    void podNetworkRule() {
      assertThat(InterfaceBinding.MASQUERADE.liveMigratableOnPodNetwork()).contains(true);
      assertThat(InterfaceBinding.PASST_BINDING.liveMigratableOnPodNetwork()).contains(true);
      assertThat(InterfaceBinding.MACVTAP.liveMigratableOnPodNetwork()).contains(false);
      assertThat(InterfaceBinding.PASST.liveMigratableOnPodNetwork()).contains(false);
      assertThat(InterfaceBinding.PLUGIN.liveMigratableOnPodNetwork()).isEmpty();
      assertThat(VolumeType.EPHEMERAL.isNodeLocal()).isTrue();
      assertThat(VolumeType.MEMORY_DUMP.isNodeLocal()).isTrue();
      assertThat(VolumeType.CONTAINER_PATH.isNodeLocal()).isFalse();
    }
  }
}
