package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Manifests writes VMIs and their claims")
class InstanceWritingTest {
  /** A VMI with one volume of each type and an interface on a Multus network. */
  private static final VirtualMachineInstance EVERY_KIND =
      VirtualMachineInstance.builder()
          .name("vmi-everything")
          .namespace("lab")
          .nodeName("node-7")
          .putLabels("app", "test")
          .memory(Quantity.parse("1536Mi"))
          .addVolumes(
              Volume.builder().name("root").type(VolumeType.CONTAINER_DISK).build(),
              Volume.builder()
                  .name("scratch")
                  .type(VolumeType.EMPTY_DISK)
                  .size(Quantity.ofGibibytes(2))
                  .build(),
              Volume.builder()
                  .name("host")
                  .type(VolumeType.HOST_DISK)
                  .size(Quantity.ofMebibytes(512))
                  .build(),
              Volume.builder().name("host-unsized").type(VolumeType.HOST_DISK).build(),
              Volume.builder().name("cloudinit").type(VolumeType.GENERATED).build(),
              Volume.builder().name("bare-claim").type(VolumeType.PERSISTENT_VOLUME_CLAIM).build())
          .addInterfaces(
              NetworkInterface.builder().name("default").binding(InterfaceBinding.BRIDGE).build(),
              NetworkInterface.builder()
                  .name("storage")
                  .binding(InterfaceBinding.SRIOV)
                  .podNetwork(false)
                  .build())
          .build();

  /** A VMI with a shared root claim and a single-node data volume. */
  private static final VirtualMachineInstance CLAIMED =
      VirtualMachineInstance.builder()
          .name("vmi-database")
          .namespace("prod")
          .nodeName("node01")
          .memory(Quantity.ofGibibytes(4))
          .addVolumes(
              Volume.builder()
                  .name("rootdisk")
                  .type(VolumeType.PERSISTENT_VOLUME_CLAIM)
                  .addAccessModes(AccessMode.READ_WRITE_MANY, AccessMode.READ_ONLY_MANY)
                  .build(),
              Volume.builder()
                  .name("datadisk")
                  .type(VolumeType.DATA_VOLUME)
                  .addAccessModes(AccessMode.READ_WRITE_ONCE)
                  .build())
          .build();

  @Nested
  @DisplayName("a VMI")
  class Instances {
    @Test
    @DisplayName("in KubeVirt's shape: memory, interfaces with their networks, volumes, node")
    void fedora() {
      assertThat(Manifests.toYaml(InstanceSnippets.FEDORA_VMI))
          .isEqualTo(
              "apiVersion: kubevirt.io/v1\n"
                  + "kind: VirtualMachineInstance\n"
                  + "metadata:\n"
                  + "  name: vmi-fedora\n"
                  + "  namespace: default\n"
                  + "  labels:\n"
                  + "    special: vmi-fedora\n"
                  + "    kubevirt.io/nodeName: node02\n"
                  + "  annotations:\n"
                  + "    kubevirt.io/latest-observed-api-version: v1\n"
                  + "    kubevirt.io/storage-observed-api-version: v1\n"
                  + "spec:\n"
                  + "  domain:\n"
                  + "    memory:\n"
                  + "      guest: 1Gi\n"
                  + "    devices:\n"
                  + "      interfaces:\n"
                  + "        - name: default\n"
                  + "          masquerade: {}\n"
                  + "          ports:\n"
                  + "            - port: 80\n"
                  + "            - port: 22\n"
                  + "  networks:\n"
                  + "    - name: default\n"
                  + "      pod: {}\n"
                  + "  volumes:\n"
                  + "    - name: containerdisk\n"
                  + "      containerDisk: {}\n"
                  + "    - name: cloudinitdisk\n"
                  + "      cloudInitNoCloud: {}\n"
                  + "status:\n"
                  + "  nodeName: node02\n"
                  + "  volumeStatus:\n"
                  + "    - name: cloudinitdisk\n"
                  + "      size: 1048576\n");
    }

    @Test
    @DisplayName("the Fedora VMI, read, written and read again, is the same")
    void fedoraRoundTrip() {
      VirtualMachineInstance read =
          Manifests.read(InstanceSnippets.FEDORA, VirtualMachineInstance.class);

      assertThat(Manifests.read(Manifests.toYaml(read))).isEqualTo(read);
      assertThat(Manifests.read(Manifests.toJson(read))).isEqualTo(read);
    }

    @Test
    @DisplayName("every volume type, sizes as capacities, and a Multus network")
    void everyKind() {
      String yaml = Manifests.toYaml(EVERY_KIND);

      assertThat(yaml)
          .contains(
              "  networks:\n"
                  + "    - name: default\n"
                  + "      pod: {}\n"
                  + "    - name: storage\n"
                  + "      multus:\n"
                  + "        networkName: storage\n")
          .contains(
              "    - name: scratch\n      emptyDisk:\n        capacity: 2Gi\n"
                  + "    - name: host\n      hostDisk:\n        capacity: 512Mi\n"
                  + "    - name: host-unsized\n      hostDisk: {}\n")
          .contains("      persistentVolumeClaim:\n        claimName: vmi-everything-bare-claim\n");
      assertThat(Manifests.read(yaml)).isEqualTo(EVERY_KIND);
      assertThat(Manifests.read(Manifests.toJson(EVERY_KIND))).isEqualTo(EVERY_KIND);
    }

    @Test
    @DisplayName("alone, without its claims: the access modes kept in status.volumeStatus")
    void claimsNotWrittenAlone() {
      String yaml = Manifests.toYaml(CLAIMED);

      assertThat(yaml)
          .doesNotContain("PersistentVolumeClaim\n")
          .doesNotContain("---")
          .contains("persistentVolumeClaimInfo:");
      assertThat(Manifests.read(yaml, VirtualMachineInstance.class)).isEqualTo(CLAIMED);
    }
  }

  @Nested
  @DisplayName("claims and lists")
  class Lists {
    @Test
    @DisplayName("a claim, with its access modes in order and its storage")
    void claim() {
      PersistentVolumeClaim claim =
          new PersistentVolumeClaim(
              "prod",
              "data",
              Set.of(AccessMode.READ_WRITE_MANY, AccessMode.READ_WRITE_ONCE),
              Quantity.ofGibibytes(30));

      assertThat(Manifests.toYaml(claim))
          .isEqualTo(
              "apiVersion: v1\n"
                  + "kind: PersistentVolumeClaim\n"
                  + "metadata:\n"
                  + "  name: data\n"
                  + "  namespace: prod\n"
                  + "spec:\n"
                  + "  accessModes:\n"
                  + "    - ReadWriteOnce\n"
                  + "    - ReadWriteMany\n"
                  + "  resources:\n"
                  + "    requests:\n"
                  + "      storage: 30Gi\n");
      assertThat(Manifests.read(Manifests.toYaml(claim))).isEqualTo(claim);
      assertThat(Manifests.read(Manifests.toJson(claim))).isEqualTo(claim);
    }

    @Test
    @DisplayName("a VMI followed by its claims, read back with their access modes")
    void withClaims() {
      String yaml = Manifests.toYaml(List.of(CLAIMED, InstanceSnippets.FEDORA_VMI));

      assertThat(yaml.split("---\n"))
          .extracting(document -> document.lines().skip(1).findFirst().orElseThrow())
          .containsExactly(
              "kind: VirtualMachineInstance",
              "kind: PersistentVolumeClaim",
              "kind: PersistentVolumeClaim",
              "kind: VirtualMachineInstance");
      assertThat(yaml)
          .contains(
              "  name: vmi-database-rootdisk\n"
                  + "  namespace: prod\n"
                  + "spec:\n"
                  + "  accessModes:\n"
                  + "    - ReadOnlyMany\n"
                  + "    - ReadWriteMany\n");
      assertThat(Manifests.readVirtualMachineInstances(yaml))
          .containsExactly(CLAIMED, InstanceSnippets.FEDORA_VMI);
    }

    @Test
    @DisplayName("as a stream of JSON documents")
    void json() {
      String json = Manifests.toJson(List.of(CLAIMED, EVERY_KIND));

      assertThat(json).startsWith("{\n  \"apiVersion\": \"kubevirt.io/v1\",");
      assertThat(Manifests.readVirtualMachineInstances(json)).containsExactly(CLAIMED, EVERY_KIND);
    }

    @Test
    @DisplayName("any kinds, each claim once, in readAll's order")
    void mixed() {
      PersistentVolumeClaim root =
          new PersistentVolumeClaim(
              "prod",
              "vmi-database-rootdisk",
              Set.of(AccessMode.READ_WRITE_MANY, AccessMode.READ_ONLY_MANY),
              Quantity.ZERO);
      VirtualMachineInstanceMigration migration =
          VirtualMachineInstanceMigration.builder()
              .name("job")
              .namespace("prod")
              .vmiName("vmi-database")
              .build();

      String yaml = Manifests.toYaml(List.of(migration, root, CLAIMED));

      assertThat(Manifests.readAll(yaml))
          .containsExactly(
              migration,
              root,
              CLAIMED,
              new PersistentVolumeClaim(
                  "prod",
                  "vmi-database-datadisk",
                  Set.of(AccessMode.READ_WRITE_ONCE),
                  Quantity.ZERO));
      assertThat(Manifests.toYaml(List.of())).isEmpty();
    }

    @Test
    @DisplayName("a value of another type is refused")
    void unsupported() {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Manifests.toYaml(List.of(CLAIMED, Duration.ZERO)))
          .withMessageContaining("java.time.Duration")
          .withMessageContaining("VirtualMachineInstance, PersistentVolumeClaim");
    }
  }
}
