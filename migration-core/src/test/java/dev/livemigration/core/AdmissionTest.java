package dev.livemigration.core;

import static dev.livemigration.core.Harness.bridge;
import static dev.livemigration.core.Harness.local;
import static dev.livemigration.core.Harness.masquerade;
import static dev.livemigration.core.Harness.pvc;
import static dev.livemigration.core.Harness.vmi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.Condition;
import dev.livemigration.api.ConditionStatus;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationRejectedException.Reason;
import dev.livemigration.api.NetworkBindingPlugin;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.PortRange;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@DisplayName("Admission")
class AdmissionTest {

  @Nested
  @DisplayName("the LiveMigratable condition")
  class LiveMigratable {
    @Test
    @DisplayName("holds for shared disks and a masquerade interface that forwards nothing special")
    void holds() {
      Condition condition = Admission.liveMigratable(vmi("vmi-fedora", "node02").build());

      assertThat(condition.type()).isEqualTo(Condition.LIVE_MIGRATABLE);
      assertThat(condition.status()).isEqualTo(ConditionStatus.TRUE);
      assertThat(condition.reason()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
        value = AccessMode.class,
        names = {"READ_WRITE_ONCE", "READ_ONLY_MANY", "READ_WRITE_ONCE_POD"})
    @DisplayName("fails with DisksNotLiveMigratable for a claim that is not ReadWriteMany")
    void claimNotShared(AccessMode mode) {
      VirtualMachineInstance vmi =
          vmi("vmi-fedora", "node02").addVolumes(pvc("data", mode)).build();

      Condition condition = Admission.liveMigratable(vmi);

      assertThat(condition.status()).isEqualTo(ConditionStatus.FALSE);
      assertThat(condition.reason()).contains("DisksNotLiveMigratable");
      assertThat(condition.message().orElseThrow()).contains("'data'").contains("ReadWriteMany");
    }

    @Test
    @DisplayName("fails for a DataVolume that is ReadWriteOnce, as for a PVC")
    void dataVolumeNotShared() {
      VirtualMachineInstance vmi =
          vmi("vmi-fedora", "node02")
              .addVolumes(
                  dev.livemigration.api.Volume.builder()
                      .name("dv")
                      .type(VolumeType.DATA_VOLUME)
                      .addAccessModes(AccessMode.READ_WRITE_ONCE)
                      .build())
              .build();

      assertThat(Admission.liveMigratable(vmi).reason()).contains(Condition.REASON_DISK_NOT_SHARED);
    }

    @Test
    @DisplayName("fails with InterfaceNotLiveMigratable for a bridge on the pod network")
    void bridgeOnPodNetwork() {
      VirtualMachineInstance vmi =
          vmi("vmi-fedora", "node02")
              .interfaces(java.util.List.of(bridge("default", true)))
              .build();

      Condition condition = Admission.liveMigratable(vmi);

      assertThat(condition.isTrue()).isFalse();
      assertThat(condition.reason()).contains("InterfaceNotLiveMigratable");
      assertThat(condition.message().orElseThrow()).contains("'default'");
    }

    @Test
    @DisplayName("holds for a bridge on a secondary network")
    void bridgeOnSecondaryNetwork() {
      VirtualMachineInstance vmi =
          vmi("vmi-fedora", "node02").addInterfaces(bridge("secondary", false)).build();

      assertThat(Admission.liveMigratable(vmi).isTrue()).isTrue();
    }

    @ParameterizedTest(name = "port {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {49152, 49153})
    @DisplayName("fails with MigrationPortsInUse when masquerade forwards a migration port")
    void migrationPortForwarded(int port) {
      VirtualMachineInstance vmi =
          vmi("vmi-fedora", "node02")
              .interfaces(java.util.List.of(masquerade("default", 80, port)))
              .build();

      Condition condition = Admission.liveMigratable(vmi);

      assertThat(condition.reason()).contains("MigrationPortsInUse");
      assertThat(condition.message().orElseThrow()).contains(String.valueOf(port));
    }

    @Test
    @DisplayName("holds when masquerade forwards other ports")
    void otherPortsForwarded() {
      VirtualMachineInstance vmi =
          vmi("vmi-fedora", "node02")
              .interfaces(java.util.List.of(masquerade("default", 22, 80, 49151, 49154)))
              .build();

      assertThat(Admission.liveMigratable(vmi).isTrue()).isTrue();
    }

    @Test
    @DisplayName("gives the first broken rule's reason and lists every broken rule")
    void severalRulesBroken() {
      VirtualMachineInstance vmi =
          vmi("vmi-fedora", "node02")
              .addVolumes(pvc("data", AccessMode.READ_WRITE_ONCE))
              .interfaces(java.util.List.of(bridge("default", true), masquerade("m", 49152)))
              .build();

      Condition condition = Admission.liveMigratable(vmi);

      assertThat(condition.reason()).contains(Condition.REASON_DISK_NOT_SHARED);
      assertThat(condition.message().orElseThrow())
          .contains("'data'")
          .contains("'default'")
          .contains("49152");
    }
  }

  @Nested
  @DisplayName("KubeVirt's rules for bindings and volumes")
  class KubeVirtRules {
    private VirtualMachineInstance onPod(NetworkInterface nic) {
      return vmi("vmi-fedora", "node02").interfaces(java.util.List.of(nic)).build();
    }

    private NetworkInterface nic(String name, InterfaceBinding binding, boolean pod) {
      NetworkInterface.Builder b =
          NetworkInterface.builder().name(name).binding(binding).podNetwork(pod);
      if (binding == InterfaceBinding.PLUGIN) {
        b.bindingPlugin("passt");
      }
      return b.build();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
        value = InterfaceBinding.class,
        names = {"MASQUERADE", "PASST_BINDING"})
    @DisplayName("masquerade and passtBinding migrate on the pod network")
    void migratableOnPod(InterfaceBinding binding) {
      assertThat(Admission.liveMigratable(onPod(nic("default", binding, true))).isTrue()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
        value = InterfaceBinding.class,
        names = {"SLIRP", "PASST", "MACVTAP", "SRIOV"})
    @DisplayName("slirp, the deprecated passt, macvtap and SR-IOV do not on the pod network")
    void notMigratableOnPod(InterfaceBinding binding) {
      Condition condition = Admission.liveMigratable(onPod(nic("default", binding, true)));

      assertThat(condition.reason()).contains(Condition.REASON_INTERFACE_NOT_MIGRATABLE);
      assertThat(condition.message().orElseThrow())
          .startsWith("interface 'default' on the pod network is bound with ")
          .contains("only masquerade, passtBinding");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(InterfaceBinding.class)
    @DisplayName("no binding on a secondary network stops a migration (SR-IOV, macvtap, ...)")
    void secondaryNotChecked(InterfaceBinding binding) {
      assertThat(Admission.liveMigratable(onPod(nic("net1", binding, false))).isTrue()).isTrue();
    }

    @Test
    @DisplayName("a bridge on the pod network migrates only with KubeVirt's annotation")
    void bridgeWithAnnotation() {
      VirtualMachineInstance refused = onPod(nic("default", InterfaceBinding.BRIDGE, true));
      VirtualMachineInstance allowed =
          VirtualMachineInstance.builder()
              .from(refused)
              .putAnnotations(VirtualMachineInstance.ALLOW_POD_BRIDGE_MIGRATION, "")
              .build();

      assertThat(Admission.liveMigratable(refused).message().orElseThrow())
          .isEqualTo(
              "interface 'default' on the pod network is a bridge, which migrates only on a VMI"
                  + " with the annotation kubevirt.io/allow-pod-bridge-network-live-migration");
      assertThat(Admission.liveMigratable(allowed).isTrue()).isTrue();
    }

    @Test
    @DisplayName("a binding plugin migrates only when the cluster registers its migration method")
    void bindingPlugin() {
      VirtualMachineInstance vmi = onPod(nic("default", InterfaceBinding.PLUGIN, true));

      assertThat(Admission.liveMigratable(vmi).message().orElseThrow())
          .isEqualTo(
              "interface 'default' on the pod network uses the binding plugin 'passt', which is"
                  + " not registered as migratable: register it in the KubeVirt CR with a"
                  + " migration block (spec.configuration.network.binding.passt.migration.method:"
                  + " link-refresh) and give the engine its name"
                  + " (MigrationEngines.Builder.migratableBindingPlugins)");
      assertThat(Admission.liveMigratable(vmi, Set.of("passt")).isTrue()).isTrue();
      assertThat(Admission.liveMigratable(vmi, Set.of("other")).isTrue()).isFalse();
    }

    @Test
    @DisplayName("a port range that covers a migration port is refused like a port")
    void portRangeCoversMigrationPort() {
      NetworkInterface nic =
          NetworkInterface.builder()
              .name("default")
              .binding(InterfaceBinding.MASQUERADE)
              .addPortRanges(new PortRange(49000, 49152))
              .build();

      Condition condition = Admission.liveMigratable(onPod(nic));

      assertThat(condition.reason()).contains(Condition.REASON_MIGRATION_PORTS_IN_USE);
      assertThat(condition.message().orElseThrow())
          .isEqualTo("interface 'default' forwards port(s) 49152 that live migration needs");
    }

    @Test
    @DisplayName("a claim whose access modes are not known is refused, as KubeVirt does")
    void claimAccessModesUnknown() {
      VirtualMachineInstance vmi = vmi("vmi-fedora", "node02").addVolumes(pvc("data")).build();

      Condition condition = Admission.liveMigratable(vmi);

      assertThat(condition.reason()).contains(Condition.REASON_DISK_NOT_SHARED);
      assertThat(condition.message().orElseThrow())
          .isEqualTo(
              "volume 'data' is a claim whose access modes are not known (neither its"
                  + " PersistentVolumeClaim nor status.volumeStatus gives them); live migration"
                  + " needs ReadWriteMany");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
        value = VolumeType.class,
        names = {"CONTAINER_DISK", "EMPTY_DISK", "EPHEMERAL", "MEMORY_DUMP", "HOST_DISK"})
    @DisplayName("local volumes do not stop a migration: they are copied")
    void localVolumesCopied(VolumeType type) {
      VirtualMachineInstance vmi =
          vmi("vmi-fedora", "node02")
              .addVolumes(local("disk", type, Quantity.ofGibibytes(2)))
              .build();

      assertThat(Admission.liveMigratable(vmi).isTrue()).isTrue();
      assertThat(Admission.method(vmi)).isEqualTo(MigrationMethod.BLOCK_MIGRATION);
    }

    @Test
    @DisplayName(
        "a host disk marked shared and a containerPath volume are neither copied nor refused")
    void sharedHostDiskAndContainerPath() {
      VirtualMachineInstance vmi =
          vmi("vmi-fedora", "node02")
              .addVolumes(
                  Volume.builder()
                      .name("host")
                      .type(VolumeType.HOST_DISK)
                      .markedShared(true)
                      .size(Quantity.ofGibibytes(5))
                      .build(),
                  local("path", VolumeType.CONTAINER_PATH, Quantity.ZERO))
              .build();

      assertThat(Admission.liveMigratable(vmi).isTrue()).isTrue();
      assertThat(Admission.method(vmi)).isEqualTo(MigrationMethod.LIVE_MIGRATION);
      assertThat(vmi.bytesToCopy()).isEqualTo(Harness.GIB);
    }
  }

  @Nested
  @DisplayName("the migration method")
  class Method {
    @ParameterizedTest(name = "{0}")
    @EnumSource(
        value = VolumeType.class,
        names = {"CONTAINER_DISK", "EMPTY_DISK", "HOST_DISK"})
    @DisplayName("is BlockMigration when a disk lives on the node")
    void blockMigration(VolumeType type) {
      VirtualMachineInstance vmi =
          vmi("vmi-fedora", "node02")
              .addVolumes(local("disk", type, Quantity.ofGibibytes(2)))
              .build();

      assertThat(Admission.method(vmi)).isEqualTo(MigrationMethod.BLOCK_MIGRATION);
      assertThat(vmi.bytesToCopy()).isEqualTo(3 * Harness.GIB);
    }

    @Test
    @DisplayName("is LiveMigration when every disk is a ReadWriteMany claim or generated")
    void liveMigration() {
      VirtualMachineInstance vmi =
          vmi("vmi-fedora", "node02")
              .addVolumes(
                  pvc("data", AccessMode.READ_WRITE_MANY),
                  local("cloudinit", VolumeType.GENERATED, Quantity.ZERO))
              .build();

      assertThat(Admission.method(vmi)).isEqualTo(MigrationMethod.LIVE_MIGRATION);
      assertThat(vmi.bytesToCopy()).isEqualTo(Harness.GIB);
    }
  }

  @Nested
  @DisplayName("the engine")
  class Engine {
    private final Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora");

    @Test
    @DisplayName("rejects a VMI that is not live-migratable, with the condition's reason")
    void rejectsNotMigratable() {
      harness.inventory.vmi(
          vmi("vmi-rwo", "node02").addVolumes(pvc("data", AccessMode.READ_WRITE_ONCE)).build());

      assertThatThrownBy(() -> harness.migrate("job", "vmi-rwo"))
          .isInstanceOfSatisfying(
              MigrationRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.NOT_LIVE_MIGRATABLE))
          .hasMessageContaining("DisksNotLiveMigratable")
          .hasMessageContaining("default/vmi-rwo");
      assertThat(harness.engine().migrations()).isEmpty();
      assertThat(harness.events.all()).isEmpty();
    }

    @Test
    @DisplayName("rejects a VMI the backend cannot migrate, with the backend's reason")
    void rejectsForBackendReason() {
      harness.backend.refuse(
          "vmi-fedora", "HostDeviceNotLiveMigratable", "a GPU is passed through");

      assertThatThrownBy(() -> harness.migrate("job", "vmi-fedora"))
          .isInstanceOfSatisfying(
              MigrationRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.NOT_LIVE_MIGRATABLE))
          .hasMessageContaining("HostDeviceNotLiveMigratable")
          .hasMessageContaining("a GPU is passed through");
      assertThat(harness.engine().status("default", "vmi-fedora").condition("LiveMigratable"))
          .hasValueSatisfying(c -> assertThat(c.reason()).contains("HostDeviceNotLiveMigratable"));
    }

    @Test
    @DisplayName("gives the engine's own reason before asking the backend")
    void ownReasonFirst() {
      harness.backend.refuse("vmi-bridge", "HostDeviceNotLiveMigratable", "a GPU");
      harness.inventory.vmi(
          vmi("vmi-bridge", "node02")
              .interfaces(java.util.List.of(bridge("default", true)))
              .build());

      assertThatThrownBy(() -> harness.migrate("job", "vmi-bridge"))
          .hasMessageContaining("InterfaceNotLiveMigratable");
    }

    private VirtualMachineInstance withPlugin(String name, String plugin) {
      return vmi(name, "node02")
          .interfaces(
              java.util.List.of(
                  NetworkInterface.builder()
                      .name("default")
                      .binding(InterfaceBinding.PLUGIN)
                      .bindingPlugin(plugin)
                      .podNetwork(true)
                      .build()))
          .build();
    }

    @Test
    @DisplayName("admits a VMI whose pod-network plugin the KubeVirt CR registers as migratable")
    void admitsRegisteredBindingPlugin() {
      KubeVirt kubeVirt =
          KubeVirt.builder()
              .addBindingPlugins(
                  NetworkBindingPlugin.linkRefresh("passt"),
                  NetworkBindingPlugin.builder().name("macvtap").build())
              .build();
      harness
          .customize(b -> b.migratableBindingPlugins(kubeVirt.migratableBindingPlugins()))
          .inventory
          .vmi(withPlugin("vmi-passt", "passt"));

      MigrationHandle handle = harness.migrate("job", "vmi-passt");

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.PENDING);
      assertThat(harness.engine().status("default", "vmi-passt").condition("LiveMigratable"))
          .hasValueSatisfying(c -> assertThat(c.status()).isEqualTo(ConditionStatus.TRUE));
    }

    @Test
    @DisplayName("refuses a plugin registered without migration, naming it and how to register it")
    void refusesUnregisteredBindingPlugin() {
      harness
          .customize(b -> b.migratableBindingPlugins(Set.of("passt")))
          .inventory
          .vmi(withPlugin("vmi-macvtap", "macvtap"));

      assertThatThrownBy(() -> harness.migrate("job", "vmi-macvtap"))
          .isInstanceOfSatisfying(
              MigrationRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.NOT_LIVE_MIGRATABLE))
          .hasMessageContaining("default/vmi-macvtap")
          .hasMessageContaining(Condition.REASON_INTERFACE_NOT_MIGRATABLE)
          .hasMessageContaining("binding plugin 'macvtap'")
          .hasMessageContaining("spec.configuration.network.binding.macvtap.migration")
          .hasMessageContaining("migratableBindingPlugins");
      assertThat(harness.engine().migrations()).isEmpty();
    }

    @Test
    @DisplayName("refuses every binding plugin when none is given, as before")
    void noPluginsByDefault() {
      harness.inventory.vmi(withPlugin("vmi-passt", "passt"));

      assertThatThrownBy(() -> harness.migrate("job", "vmi-passt"))
          .hasMessageContaining("binding plugin 'passt'");
    }

    @Test
    @DisplayName("rejects an unknown VMI with VMI_NOT_FOUND")
    void rejectsUnknownVmi() {
      assertThatThrownBy(() -> harness.migrate("job", "vmi-nowhere"))
          .isInstanceOfSatisfying(
              MigrationRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.VMI_NOT_FOUND))
          .hasMessageContaining("default/vmi-nowhere");
      assertThatThrownBy(() -> harness.engine().status("default", "vmi-nowhere"))
          .isInstanceOfSatisfying(
              MigrationRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.VMI_NOT_FOUND));
    }

    @Test
    @DisplayName("looks the VMI up in the request's namespace")
    void namespaced() {
      harness.inventory.vmi(vmi("vmi-fedora", "node02").namespace("prod").build());

      MigrationHandle handle =
          harness
              .engine()
              .migrate(
                  VirtualMachineInstanceMigration.builder()
                      .namespace("prod")
                      .name("job")
                      .vmiName("vmi-fedora")
                      .build());

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.PENDING);
      assertThatThrownBy(
              () ->
                  harness
                      .engine()
                      .migrate(
                          VirtualMachineInstanceMigration.builder()
                              .namespace("test")
                              .name("job")
                              .vmiName("vmi-fedora")
                              .build()))
          .isInstanceOfSatisfying(
              MigrationRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.VMI_NOT_FOUND));
    }

    @Test
    @DisplayName("rejects a second migration of a VMI that is migrating with ALREADY_MIGRATING")
    void rejectsAlreadyMigrating() {
      MigrationHandle first = harness.migrate("job-1", "vmi-fedora");

      assertThatThrownBy(() -> harness.migrate("job-2", "vmi-fedora"))
          .isInstanceOfSatisfying(
              MigrationRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.ALREADY_MIGRATING))
          .hasMessageContaining("job-1");
      harness.runDue();
      assertThatThrownBy(() -> harness.migrate("job-2", "vmi-fedora"))
          .isInstanceOfSatisfying(
              MigrationRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.ALREADY_MIGRATING));

      harness.runUntilIdle();
      assertThat(first.completion()).isCompleted();
      assertThat(harness.migrate("job-2", "vmi-fedora").state().phase())
          .isEqualTo(MigrationPhase.PENDING);
    }

    @Test
    @DisplayName("rejects a migration whose name is in progress with DUPLICATE_NAME")
    void rejectsDuplicateName() {
      harness.vmis("node02", "vmi-other");
      harness.migrate("job", "vmi-fedora");

      assertThatThrownBy(() -> harness.migrate("job", "vmi-other"))
          .isInstanceOfSatisfying(
              MigrationRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.DUPLICATE_NAME))
          .hasMessageContaining("default/job");
    }

    @Test
    @DisplayName("rejects requests after close with ENGINE_CLOSED")
    void rejectsAfterClose() {
      harness.engine().close();

      assertThatThrownBy(() -> harness.migrate("job", "vmi-fedora"))
          .isInstanceOfSatisfying(
              MigrationRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.ENGINE_CLOSED));
      assertThat(harness.backend.isClosed()).isTrue();
    }

    @Test
    @DisplayName("reports the condition, the method and the latest migration in the VMI status")
    void status() {
      harness.inventory.vmi(
          vmi("vmi-block", "node02")
              .addVolumes(local("scratch", VolumeType.EMPTY_DISK, Quantity.ofGibibytes(1)))
              .build());

      VirtualMachineInstanceStatus before = harness.engine().status("default", "vmi-block");
      MigrationHandle handle = harness.migrate("job", "vmi-block");
      harness.advance(Duration.ofHours(1));
      VirtualMachineInstanceStatus after = harness.engine().status("default", "vmi-block");

      assertThat(before.condition(Condition.LIVE_MIGRATABLE))
          .hasValueSatisfying(c -> assertThat(c.isTrue()).isTrue());
      assertThat(before.migrationMethod()).contains(MigrationMethod.BLOCK_MIGRATION);
      assertThat(before.migrationState()).isEmpty();
      assertThat(after.migrationState()).contains(handle.state());
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    }

    @Test
    @DisplayName("hands the migration method to the backend")
    void methodReachesBackend() {
      harness.inventory.vmi(
          vmi("vmi-block", "node02")
              .addVolumes(
                  local("containerdisk", VolumeType.CONTAINER_DISK, Quantity.ofGibibytes(1)))
              .build());

      harness.migrate("job-1", "vmi-block");
      harness.migrate("job-2", "vmi-fedora");
      harness.runDue();

      assertThat(harness.backend.sessions())
          .extracting(s -> s.spec().vmi().name() + ":" + s.spec().method())
          .containsExactly("vmi-block:BLOCK_MIGRATION", "vmi-fedora:LIVE_MIGRATION");
    }
  }
}
