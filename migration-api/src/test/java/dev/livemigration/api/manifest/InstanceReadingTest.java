package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Manifests reads VMIs and their claims")
class InstanceReadingTest {
  private static final String HEADER =
      "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: vmi\n";
  private static final String RUNNING = "status:\n  nodeName: node01\n";

  /** A VMI with 1Gi of memory, running on node01, with these lines of spec (indented 2 spaces). */
  private static String vmi(String... specLines) {
    StringBuilder text = new StringBuilder(HEADER).append("spec:\n  domain:\n    memory:\n");
    text.append("      guest: 1Gi\n");
    for (String line : specLines) {
      text.append("  ").append(line).append('\n');
    }
    return text.append(RUNNING).toString();
  }

  private static VirtualMachineInstance read(String text) {
    return Manifests.read(text, VirtualMachineInstance.class);
  }

  @Nested
  @DisplayName("a running VMI as kubectl shows it")
  class Fedora {
    @Test
    @DisplayName(
        "the Fedora VMI: its node, labels, memory, volumes and interface, ignoring the rest")
    void fedora() {
      assertThat(Manifests.read(InstanceSnippets.FEDORA)).isEqualTo(InstanceSnippets.FEDORA_VMI);
    }

    @Test
    @DisplayName("its container disk is on the node, so it migrates by copying its disks too")
    void blockMigrationVolumes() {
      VirtualMachineInstance vmi = read(InstanceSnippets.FEDORA);

      assertThat(vmi.volumes())
          .extracting(Volume::type)
          .containsExactly(VolumeType.CONTAINER_DISK, VolumeType.GENERATED);
      assertThat(vmi.volumes()).anyMatch(v -> v.type().isNodeLocal());
      assertThat(vmi.volumes()).noneMatch(v -> v.type().isClaim());
      assertThat(vmi.bytesToCopy()).isEqualTo(Quantity.ofGibibytes(1).bytes());
    }

    @Test
    @DisplayName("its masquerade interface on the pod network, with the ports it forwards")
    void interfacePorts() {
      NetworkInterface networkInterface = read(InstanceSnippets.FEDORA).interfaces().get(0);

      assertThat(networkInterface.binding()).isEqualTo(InterfaceBinding.MASQUERADE);
      assertThat(networkInterface.podNetwork()).isTrue();
      assertThat(networkInterface.ports()).containsExactly(80, 22);
    }

    @Test
    @DisplayName("as JSON too")
    void json() {
      String json = Manifests.toJson(InstanceSnippets.FEDORA_VMI);

      assertThat(Manifests.read(json)).isEqualTo(InstanceSnippets.FEDORA_VMI);
    }
  }

  @Nested
  @DisplayName("claims")
  class Claims {
    @Test
    @DisplayName("take their access modes from the claims of the VMI's namespace: RWX and RWO")
    void resolved() {
      List<VirtualMachineInstance> vmis =
          Manifests.readVirtualMachineInstances(InstanceSnippets.DATABASE);

      assertThat(vmis).hasSize(1);
      VirtualMachineInstance vmi = vmis.get(0);
      assertThat(vmi.namespace()).isEqualTo("prod");
      assertThat(vmi.memory()).isEqualTo(Quantity.ofGibibytes(4));
      assertThat(vmi.volumes())
          .containsExactly(
              Volume.builder()
                  .name("rootdisk")
                  .type(VolumeType.PERSISTENT_VOLUME_CLAIM)
                  .addAccessModes(AccessMode.READ_WRITE_MANY)
                  .build(),
              Volume.builder()
                  .name("datadisk")
                  .type(VolumeType.DATA_VOLUME)
                  .addAccessModes(AccessMode.READ_WRITE_ONCE)
                  .build());
      assertThat(vmi.volumes().get(0).isShared()).isTrue();
      assertThat(vmi.volumes().get(1).isShared()).isFalse();
    }

    @Test
    @DisplayName("readAll gives the VMI its claims' access modes too, and returns the claims")
    void readAll() {
      List<Object> values = Manifests.readAll(InstanceSnippets.DATABASE);

      assertThat(values).hasSize(4);
      assertThat(((VirtualMachineInstance) values.get(0)).volumes())
          .allMatch(v -> !v.accessModes().isEmpty());
      assertThat(values.subList(1, 4))
          .containsExactly(
              new PersistentVolumeClaim(
                  "prod",
                  "database-root",
                  Set.of(AccessMode.READ_WRITE_MANY),
                  Quantity.ofGibibytes(30)),
              new PersistentVolumeClaim(
                  "prod",
                  "database-data",
                  Set.of(AccessMode.READ_WRITE_ONCE),
                  Quantity.ofGibibytes(100)),
              new PersistentVolumeClaim(
                  "staging", "database-root", Set.of(AccessMode.READ_WRITE_ONCE), Quantity.ZERO));
    }

    @Test
    @DisplayName("the claims may come before the VMIs that use them")
    void claimsFirst() {
      String[] documents = InstanceSnippets.DATABASE.split("---\n");
      String reordered = documents[1] + "---\n" + documents[2] + "---\n" + documents[0];

      assertThat(Manifests.readVirtualMachineInstances(reordered))
          .isEqualTo(Manifests.readVirtualMachineInstances(InstanceSnippets.DATABASE));
    }

    @Test
    @DisplayName("without a claim's manifest, a claim volume has no access modes")
    void unresolved() {
      String vmiOnly = InstanceSnippets.DATABASE.split("---\n")[0];

      assertThat(Manifests.readVirtualMachineInstances(vmiOnly).get(0).volumes())
          .allMatch(v -> v.accessModes().isEmpty());
      assertThat(read(vmiOnly).volumes()).allMatch(v -> v.accessModes().isEmpty());
    }

    @Test
    @DisplayName("a claim read alone, with every access mode and its requested storage")
    void claimAlone() {
      Object claim =
          Manifests.read(
              "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: shared\n"
                  + "spec:\n  accessModes: [ReadWriteOnce, ReadOnlyMany, ReadWriteMany,"
                  + " ReadWriteOncePod]\n  resources:\n    requests:\n      storage: 10Gi\n");

      assertThat(claim)
          .isEqualTo(
              new PersistentVolumeClaim(
                  "default", "shared", Set.of(AccessMode.values()), Quantity.ofGibibytes(10)));
    }

    @Test
    @DisplayName("a claim without access modes or storage")
    void bareClaim() {
      assertThat(
              Manifests.read(
                  "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: c\n",
                  PersistentVolumeClaim.class))
          .isEqualTo(new PersistentVolumeClaim("default", "c", Set.of(), Quantity.ZERO));
    }
  }

  @Nested
  @DisplayName("interfaces and networks")
  class Interfaces {
    @Test
    @DisplayName("bridge on the pod network")
    void bridgeOnPodNetwork() {
      VirtualMachineInstance vmi =
          read(
              vmi(
                  "  devices:",
                  "    interfaces:",
                  "      - name: default",
                  "        bridge: {}",
                  "networks:",
                  "  - name: default",
                  "    pod: {}"));

      assertThat(vmi.interfaces())
          .containsExactly(
              NetworkInterface.builder()
                  .name("default")
                  .binding(InterfaceBinding.BRIDGE)
                  .podNetwork(true)
                  .build());
    }

    @Test
    @DisplayName("masquerade forwarding the migration port 49152")
    void masqueradeMigrationPort() {
      VirtualMachineInstance vmi =
          read(
              vmi(
                  "  devices:",
                  "    interfaces:",
                  "      - name: default",
                  "        masquerade: {}",
                  "        ports:",
                  "          - port: 49152",
                  "            protocol: TCP",
                  "networks:",
                  "  - name: default",
                  "    pod: {}"));

      assertThat(vmi.interfaces().get(0).binding()).isEqualTo(InterfaceBinding.MASQUERADE);
      assertThat(vmi.interfaces().get(0).ports()).containsExactly(49152);
    }

    @Test
    @DisplayName("an SR-IOV interface on a Multus network is not on the pod network")
    void multus() {
      VirtualMachineInstance vmi =
          read(
              vmi(
                  "  devices:",
                  "    interfaces:",
                  "      - name: default",
                  "        masquerade: {}",
                  "      - name: fast",
                  "        sriov: {}",
                  "networks:",
                  "  - name: default",
                  "    pod: {}",
                  "  - name: fast",
                  "    multus:",
                  "      networkName: sriov-network"));

      assertThat(vmi.interfaces())
          .extracting(
              NetworkInterface::name, NetworkInterface::binding, NetworkInterface::podNetwork)
          .containsExactly(
              tuple("default", InterfaceBinding.MASQUERADE, true),
              tuple("fast", InterfaceBinding.SRIOV, false));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bridge", "masquerade", "sriov", "slirp", "passt"})
    @DisplayName("each binding by its key")
    void bindings(String key) {
      VirtualMachineInstance vmi =
          read(
              vmi(
                  "  devices:",
                  "    interfaces:",
                  "      - name: net",
                  "        " + key + ": {}",
                  "networks:",
                  "  - name: net",
                  "    pod: {}"));

      assertThat(InterfaceReader.bindingKey(vmi.interfaces().get(0).binding())).isEqualTo(key);
    }

    @Test
    @DisplayName("matching keys whatever their spaces and case")
    void keysIgnoreSpacesAndCase() {
      VirtualMachineInstance vmi =
          read(
              vmi(
                  "  devices:",
                  "    Interfaces:",
                  "      - Name: default",
                  "        Masquerade: {}",
                  "networks:",
                  "  - name: default",
                  "    POD: {}"));

      assertThat(vmi.interfaces().get(0).binding()).isEqualTo(InterfaceBinding.MASQUERADE);
    }

    @Test
    @DisplayName("no interfaces at all")
    void none() {
      assertThat(read(vmi()).interfaces()).isEmpty();
    }
  }

  @Nested
  @DisplayName("volumes and memory")
  class Volumes {
    @Test
    @DisplayName("an empty disk and a host disk, sized by their capacity")
    void localDisks() {
      VirtualMachineInstance vmi =
          read(
              vmi(
                  "volumes:",
                  "  - name: scratch",
                  "    emptyDisk:",
                  "      capacity: 2Gi",
                  "  - name: host",
                  "    hostDisk:",
                  "      path: /data/disk.img",
                  "      type: DiskOrCreate",
                  "      capacity: 1Gi",
                  "      shared: false"));

      assertThat(vmi.volumes())
          .containsExactly(
              Volume.builder()
                  .name("scratch")
                  .type(VolumeType.EMPTY_DISK)
                  .size(Quantity.ofGibibytes(2))
                  .build(),
              Volume.builder()
                  .name("host")
                  .type(VolumeType.HOST_DISK)
                  .size(Quantity.ofGibibytes(1))
                  .build());
      assertThat(vmi.bytesToCopy()).isEqualTo(Quantity.ofGibibytes(4).bytes());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(
        strings = {
          "cloudInitNoCloud: {userData: '#cloud-config'}",
          "cloudInitConfigDrive: {userData: '#cloud-config'}",
          "configMap: {name: app-config}",
          "secret: {secretName: app-secret}",
          "serviceAccount: {serviceAccountName: default}",
          "sysprep: {configMap: {name: sysprep}}",
          "downwardAPI: {fields: []}",
          "downwardMetrics: {}"
        })
    @DisplayName("generated volumes")
    void generated(String source) {
      VirtualMachineInstance vmi = read(vmi("volumes:", "  - name: v", "    " + source));

      assertThat(vmi.volumes())
          .containsExactly(Volume.builder().name("v").type(VolumeType.GENERATED).build());
    }

    @Test
    @DisplayName("memory from the resource requests when the guest's is not given")
    void requestedMemory() {
      VirtualMachineInstance vmi =
          read(
              HEADER
                  + "spec:\n  domain:\n    resources:\n      requests:\n        memory: 2048M\n"
                  + RUNNING);

      assertThat(vmi.memory()).isEqualTo(Quantity.parse("2048M"));
    }

    @Test
    @DisplayName("the guest's memory before the resource requests")
    void guestMemoryFirst() {
      VirtualMachineInstance vmi =
          read(
              vmi("  resources:", "    requests:", "      memory: 2Gi")
                  .replace("guest: 1Gi", "guest: 1536Mi"));

      assertThat(vmi.memory()).isEqualTo(Quantity.ofMebibytes(1536));
    }

    @Test
    @DisplayName("the namespace default when none is given, and no labels")
    void defaults() {
      VirtualMachineInstance vmi = read(vmi());

      assertThat(vmi.namespace()).isEqualTo("default");
      assertThat(vmi.labels()).isEmpty();
      assertThat(vmi.volumes()).isEmpty();
      assertThat(vmi.nodeName()).isEqualTo("node01");
    }
  }

  @Nested
  @DisplayName("files and readers")
  class FilesAndReaders {
    @TempDir Path directory;

    @Test
    @DisplayName("the VMIs of a file and of a reader")
    void fileAndReader() throws IOException {
      Path file = directory.resolve("cluster.yaml");
      Files.writeString(file, InstanceSnippets.DATABASE, StandardCharsets.UTF_8);

      List<VirtualMachineInstance> fromString =
          Manifests.readVirtualMachineInstances(InstanceSnippets.DATABASE);
      assertThat(Manifests.readVirtualMachineInstances(file)).isEqualTo(fromString);
      assertThat(Manifests.readVirtualMachineInstances(new StringReader(InstanceSnippets.DATABASE)))
          .isEqualTo(fromString);
    }

    @Test
    @DisplayName("several VMIs, in order, and an empty text")
    void several() {
      String text =
          InstanceSnippets.FEDORA + "---\n" + InstanceSnippets.DATABASE + "---\n# the end\n";

      assertThat(Manifests.readVirtualMachineInstances(text))
          .extracting(VirtualMachineInstance::name)
          .containsExactly("vmi-fedora", "vmi-database");
      assertThat(Manifests.readVirtualMachineInstances("")).isEmpty();
    }
  }
}
