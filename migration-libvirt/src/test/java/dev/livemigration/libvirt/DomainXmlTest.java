package dev.livemigration.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.VolumeType;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Domain XML is read as a VMI's parts")
class DomainXmlTest {
  static final String XML =
      """
      <domain type='kvm' id='3'>
        <name>web</name>
        <uuid>7d3c7c57-0e35-4f65-9a0c-4ad1f0b6a001</uuid>
        <metadata>
          <lm:vmi xmlns:lm="https://livemigration.dev/xmlns/vmi/1.0" namespace="shop">
            <lm:label key="app" value="web"/>
            <lm:label key="tier" value="front"/>
          </lm:vmi>
          <other:thing xmlns:other="https://example.com/other"/>
        </metadata>
        <memory unit='KiB'>2097152</memory>
        <currentMemory unit='KiB'>1048576</currentMemory>
        <devices>
          <disk type='file' device='disk'>
            <driver name='qemu' type='qcow2' cache='none'/>
            <source file='/var/lib/libvirt/images/web.qcow2'/>
            <target dev='vda' bus='virtio'/>
          </disk>
          <disk type='network' device='disk'>
            <driver name='qemu' type='raw' cache='writeback'/>
            <source protocol='rbd' name='pool/data'/>
            <target dev='vdb' bus='virtio'/>
          </disk>
          <disk type='block' device='disk'>
            <source dev='/dev/shared/lun1'/>
            <target dev='vdc' bus='virtio'/>
            <shareable/>
          </disk>
          <disk type='file' device='cdrom'>
            <source file='/isos/cloud-init.iso'/>
            <target dev='sda' bus='sata'/>
            <readonly/>
          </disk>
          <disk type='file' device='cdrom'>
            <target dev='sdb' bus='sata'/>
            <readonly/>
          </disk>
          <interface type='user'>
            <alias name='net0'/>
          </interface>
          <interface type='user'>
            <backend type='passt'/>
          </interface>
          <interface type='bridge'>
            <source bridge='br0'/>
            <target dev='vnet3'/>
          </interface>
          <interface type='hostdev'>
            <alias name='hostdev0'/>
          </interface>
          <hostdev mode='subsystem' type='pci'/>
        </devices>
      </domain>
      """;

  final DomainXml.Description domain = DomainXml.parse(XML);

  @Test
  @DisplayName("name, UUID and memory (the maximum, in bytes)")
  void identity() {
    assertThat(domain.name()).isEqualTo("web");
    assertThat(domain.uuid()).isEqualTo("7d3c7c57-0e35-4f65-9a0c-4ad1f0b6a001");
    assertThat(domain.memoryBytes()).isEqualTo(2L << 30);
  }

  @Test
  @DisplayName("namespace and labels from the metadata")
  void metadata() {
    assertThat(domain.namespace()).contains("shop");
    assertThat(domain.labels()).isEqualTo(Map.of("app", "web", "tier", "front"));
  }

  @Test
  @DisplayName("no metadata: no namespace, no labels")
  void noMetadata() {
    DomainXml.Description bare =
        DomainXml.parse("<domain><name>a</name><memory>1024</memory></domain>");
    assertThat(bare.namespace()).isEmpty();
    assertThat(bare.labels()).isEmpty();
    assertThat(bare.memoryBytes()).isEqualTo(1024L * 1024);
  }

  @Test
  @DisplayName("a local file is a host disk; network and shareable storage are RWX claims")
  void disks() {
    assertThat(domain.disks())
        .extracting(DomainXml.Disk::name, DomainXml.Disk::type, DomainXml.Disk::accessModes)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("vda", VolumeType.HOST_DISK, java.util.Set.of()),
            org.assertj.core.groups.Tuple.tuple(
                "vdb",
                VolumeType.PERSISTENT_VOLUME_CLAIM,
                java.util.Set.of(AccessMode.READ_WRITE_MANY)),
            org.assertj.core.groups.Tuple.tuple(
                "vdc",
                VolumeType.PERSISTENT_VOLUME_CLAIM,
                java.util.Set.of(AccessMode.READ_WRITE_MANY)),
            org.assertj.core.groups.Tuple.tuple("sda", VolumeType.GENERATED, java.util.Set.of()));
    assertThat(domain.disks().get(0).source()).isEqualTo("/var/lib/libvirt/images/web.qcow2");
    assertThat(domain.disks().get(0).cache()).contains("none");
    assertThat(domain.disks().get(1).source()).isEqualTo("rbd:pool/data");
  }

  @Test
  @DisplayName("interfaces: user is slirp or passt, hostdev is SR-IOV, the rest host networks")
  void interfaces() {
    assertThat(domain.interfaces())
        .extracting(NetworkInterface::name, NetworkInterface::binding, NetworkInterface::podNetwork)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("net0", InterfaceBinding.SLIRP, true),
            org.assertj.core.groups.Tuple.tuple("net1", InterfaceBinding.PASST, true),
            org.assertj.core.groups.Tuple.tuple("vnet3", InterfaceBinding.BRIDGE, false),
            org.assertj.core.groups.Tuple.tuple("hostdev0", InterfaceBinding.SRIOV, false));
    assertThat(domain.hostDevices()).containsExactly("hostdev pci subsystem");
  }

  @Test
  @DisplayName("sizes in every libvirt unit")
  void units() {
    assertThat(DomainXml.bytes("128", "MiB", "memory")).isEqualTo(128L << 20);
    assertThat(DomainXml.bytes("1", "G", "memory")).isEqualTo(1L << 30);
    assertThat(DomainXml.bytes("1", "GB", "memory")).isEqualTo(1_000_000_000L);
    assertThat(DomainXml.bytes("512", "", "memory")).isEqualTo(512L << 10);
    assertThat(DomainXml.bytes("7", "b", "memory")).isEqualTo(7);
    assertThatThrownBy(() -> DomainXml.bytes("1", "parsec", "memory"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("but was 'parsec'");
  }

  @Test
  @DisplayName("text that is not a domain is refused with a plain message")
  void notADomain() {
    assertThatThrownBy(() -> DomainXml.parse("<network/>"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("<domain> root");
    assertThatThrownBy(() -> DomainXml.parse("<domain>"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not well-formed");
    assertThatThrownBy(
            () ->
                DomainXml.parse(
                    "<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain>&x;</domain>"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
