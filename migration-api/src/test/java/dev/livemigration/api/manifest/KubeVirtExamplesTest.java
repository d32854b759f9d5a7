package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * KubeVirt's own example manifests and its release-1.9 API fixture for a whole VMI, copied into
 * {@code src/test/resources/manifests/kubevirt-1.9} from kubevirt/kubevirt at commit
 * d923fdb815cd2016ddaebdaaa51db04133576d72 (each file under {@code examples/} unchanged; each test
 * names its file). KubeVirt's examples are specs to create, without a {@code status}: the tests add
 * the {@code status.nodeName} of a running VMI, which this library needs, and say so.
 */
@DisplayName("Manifests reads KubeVirt's example manifests")
class KubeVirtExamplesTest {
  private static final String DIR = "kubevirt-1.9/";
  private static final String RUNNING = "status:\n  nodeName: node01\n";

  private static String text(String file) {
    try {
      return Files.readString(GuideSnippets.path(DIR + file));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The example, running on node01, read as a VMI with no warning. */
  private static VirtualMachineInstance running(String file) {
    ManifestResult<VirtualMachineInstance> result =
        Manifests.readWithWarnings(text(file) + RUNNING, VirtualMachineInstance.class);
    assertThat(result.warnings()).isEmpty();
    return result.value();
  }

  private static List<String> messages(ManifestException e) {
    return e.problems().stream().map(ManifestException.Problem::message).toList();
  }

  @Nested
  @DisplayName("VMIs")
  class Instances {
    @Test
    @DisplayName("vmi-migratable: masquerade on the pod network and a container disk")
    void migratable() {
      // examples/vmi-migratable.yaml
      VirtualMachineInstance vmi = running("examples-vmi-migratable.yaml");

      assertThat(vmi.interfaces())
          .singleElement()
          .satisfies(
              nic -> {
                assertThat(nic.binding()).isEqualTo(InterfaceBinding.MASQUERADE);
                assertThat(nic.podNetwork()).isTrue();
              });
      assertThat(vmi.volumes()).extracting(Volume::type).containsExactly(VolumeType.CONTAINER_DISK);
      assertThat(vmi.memory()).isEqualTo(Quantity.ofMebibytes(128));
    }

    @Test
    @DisplayName("vmi-masquerade: the ports it forwards")
    void masquerade() {
      // examples/vmi-masquerade.yaml
      VirtualMachineInstance vmi = running("examples-vmi-masquerade.yaml");

      assertThat(vmi.interfaces())
          .singleElement()
          .satisfies(n -> assertThat(n.ports()).contains(80));
    }

    @Test
    @DisplayName("vmi-sriov: an SR-IOV interface on a Multus network, masquerade on the pod")
    void sriov() {
      // examples/vmi-sriov.yaml
      VirtualMachineInstance vmi = running("examples-vmi-sriov.yaml");

      assertThat(vmi.interfaces())
          .extracting(
              NetworkInterface::name, NetworkInterface::binding, NetworkInterface::podNetwork)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("default", InterfaceBinding.MASQUERADE, true),
              org.assertj.core.groups.Tuple.tuple("sriov-net", InterfaceBinding.SRIOV, false));
      assertThat(vmi.volumes())
          .extracting(Volume::type)
          .containsExactly(VolumeType.CONTAINER_DISK, VolumeType.GENERATED);
    }

    @Test
    @DisplayName("vmi-multus-multiple-net: a bridge on a secondary network")
    void multus() {
      // examples/vmi-multus-multiple-net.yaml
      VirtualMachineInstance vmi = running("examples-vmi-multus-multiple-net.yaml");

      assertThat(vmi.interfaces())
          .filteredOn(n -> n.binding() == InterfaceBinding.BRIDGE)
          .singleElement()
          .satisfies(n -> assertThat(n.podNetwork()).isFalse());
    }

    @Test
    @DisplayName("vmi-host-disk: a host disk with its capacity, not shared")
    void hostDisk() {
      // examples/vmi-host-disk.yaml
      VirtualMachineInstance vmi = running("examples-vmi-host-disk.yaml");

      assertThat(vmi.volumes())
          .singleElement()
          .satisfies(
              v -> {
                assertThat(v.type()).isEqualTo(VolumeType.HOST_DISK);
                assertThat(v.size()).isEqualTo(Quantity.ofGibibytes(1));
                assertThat(v.markedShared()).isFalse();
                assertThat(v.isCopied()).isTrue();
              });
    }

    @Test
    @DisplayName("vmi-host-disk marked shared: neither copied nor refused")
    void sharedHostDisk() {
      // examples/vmi-host-disk.yaml with hostDisk.shared added (KubeVirt's HostDisk.Shared).
      String text =
          text("examples-vmi-host-disk.yaml")
              .replace("type: DiskOrCreate", "type: DiskOrCreate\n      shared: true");
      VirtualMachineInstance vmi = Manifests.read(text + RUNNING, VirtualMachineInstance.class);

      assertThat(vmi.volumes().get(0).markedShared()).isTrue();
      assertThat(vmi.volumes().get(0).isCopied()).isFalse();
      assertThat(Manifests.read(Manifests.toYaml(vmi), VirtualMachineInstance.class))
          .isEqualTo(vmi);
    }

    @Test
    @DisplayName("vmi-pvc with the status KubeVirt gives it: the claim's access modes and size")
    void pvcWithVolumeStatus() {
      // examples/vmi-pvc.yaml, with the status.volumeStatus entry that virt-controller fills in,
      // built from KubeVirt's VolumeStatus and PersistentVolumeClaimInfo types (core/v1/types.go);
      // KubeVirt has no literal file of it.
      String status =
          "status:\n"
              + "  nodeName: node01\n"
              + "  volumeStatus:\n"
              + "  - name: pvcdisk\n"
              + "    target: vda\n"
              + "    persistentVolumeClaimInfo:\n"
              + "      claimName: disk-alpine\n"
              + "      accessModes: [ReadWriteMany]\n"
              + "      volumeMode: Block\n"
              + "      capacity: {storage: 10Gi}\n"
              + "      requests: {storage: 9Gi}\n"
              + "      filesystemOverhead: \"0.055\"\n";
      ManifestResult<VirtualMachineInstance> result =
          Manifests.readWithWarnings(
              text("examples-vmi-pvc.yaml") + status, VirtualMachineInstance.class);

      assertThat(result.warnings()).isEmpty();
      Volume volume = result.value().volumes().get(0);
      assertThat(volume.accessModes()).containsExactly(AccessMode.READ_WRITE_MANY);
      assertThat(volume.size()).isEqualTo(Quantity.ofGibibytes(10));
      assertThat(volume.isShared()).isTrue();
    }

    @Test
    @DisplayName("vmi-pvc whose claim document disagrees with the status: the claim decides")
    void claimDocumentDecides() {
      // examples/vmi-pvc.yaml and a claim named as its volume's, with a status built as above.
      String text =
          text("examples-vmi-pvc.yaml")
              + "status:\n  nodeName: node01\n  volumeStatus:\n  - name: pvcdisk\n"
              + "    persistentVolumeClaimInfo: {accessModes: [ReadWriteMany]}\n"
              + "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: disk-alpine\n"
              + "spec:\n  accessModes: [ReadWriteOnce]\n";

      assertThat(Manifests.readVirtualMachineInstances(text).get(0).volumes().get(0).accessModes())
          .containsExactly(AccessMode.READ_WRITE_ONCE);
    }

    @Test
    @DisplayName("vmi-dra-pgpu: a VMI with DRA resource claims")
    void dynamicResources() {
      // examples/vmi-dra-pgpu.yaml
      assertThat(running("examples-vmi-dra-pgpu.yaml").name()).isEqualTo("vmi-dra-pgpu");
    }

    @Test
    @DisplayName("KubeVirt's release-1.9 VMI fixture: every key known, only its values refused")
    void apiTestingFixture() {
      // staging/src/kubevirt.io/api/apitesting/testdata/release-1.9/
      // kubevirt.io.v1.VirtualMachineInstance.yaml: every field of the 1.9 API, filled by a fuzzer
      // (every binding, network source and volume source at once, negative ports, 'nameValue').
      ManifestException e =
          catchThrowableOfType(
              ManifestException.class,
              () ->
                  Manifests.read(
                      text("apitesting-release-1.9-VirtualMachineInstance.yaml"),
                      VirtualMachineInstance.class));

      assertThat(messages(e)).noneMatch(m -> m.contains("not a known field"));
      assertThat(e.warnings()).isEmpty();
      assertThat(messages(e))
          .anyMatch(m -> m.contains("interfaces[0] was a map but it must have exactly one binding"))
          .anyMatch(m -> m.contains("networks[0] was a map but it must have exactly one network"))
          .anyMatch(m -> m.contains("volumes[0] was a map but it must have exactly one source"))
          .anyMatch(m -> m.contains("ports[0].port was -4"));
    }
  }

  @Nested
  @DisplayName("migrations and policies")
  class Migrations {
    @Test
    @DisplayName("migration-job: a request for vmi-migratable")
    void migrationJob() {
      // examples/migration-job.yaml
      ManifestResult<VirtualMachineInstanceMigration> result =
          Manifests.readWithWarnings(
              text("examples-migration-job.yaml"), VirtualMachineInstanceMigration.class);

      assertThat(result.warnings()).isEmpty();
      assertThat(result.value())
          .isEqualTo(VirtualMachineInstanceMigration.of("migration-job", "vmi-migratable"));
    }

    @Test
    @DisplayName("example-migration-policy: both selectors and every setting")
    void policy() {
      // examples/example-migration-policy.yaml
      ManifestResult<MigrationPolicy> result =
          Manifests.readWithWarnings(
              text("examples-example-migration-policy.yaml"), MigrationPolicy.class);
      MigrationPolicy policy = result.value();

      assertThat(result.warnings()).isEmpty();
      assertThat(policy.namespaceSelector()).containsEntry("namespace-key", "namespace-value");
      assertThat(policy.virtualMachineInstanceSelector()).containsEntry("vmi-key", "vmi-value");
      assertThat(policy.bandwidthPerMigration()).contains(Quantity.parse("2000Mi"));
      assertThat(policy.completionTimeoutPerGiB()).contains(Duration.ofSeconds(123456789));
      assertThat(policy.allowPostCopy()).contains(false);
      assertThat(Manifests.read(Manifests.toYaml(policy), MigrationPolicy.class)).isEqualTo(policy);
    }

    @Test
    @DisplayName("migration-job with sendTo: refused as not supported, not as a typo")
    void decentralized() {
      // examples/migration-job.yaml with KubeVirt's spec.sendTo (types.go,
      // VirtualMachineInstanceMigrationSource); KubeVirt has no literal example of it.
      ManifestException e =
          catchThrowableOfType(
              ManifestException.class,
              () ->
                  Manifests.read(
                      text("examples-migration-job.yaml")
                          + "  sendTo:\n    migrationID: abc\n    connectURL: https://sync.example\n",
                      VirtualMachineInstanceMigration.class));

      assertThat(messages(e))
          .containsExactly(
              "spec.sendTo is not supported: this library does not run cross-cluster"
                  + " (decentralized) migrations");
    }
  }
}
