package dev.livemigration.libvirt;

import java.nio.file.Path;

/**
 * Domain XML of the integration tests' guests, as small as the lab notes allow: TCG ({@code
 * type='qemu'}), 128 MiB, q35, no {@code <cpu>}, no USB, no balloon.
 */
final class TestDomains {
  private TestDomains() {}

  /** A guest with no code at all: its memory stays zero. */
  static String idle(String name) {
    return domain(name, "", "");
  }

  /** A guest that boots the multiboot kernel at this path. */
  static String kernel(String name, Path kernel) {
    return domain(name, "<kernel>" + kernel + "</kernel>", "");
  }

  /** An idle guest with one local qcow2 disk {@code vda} at this path (as the node sees it). */
  static String withDisk(String name, String image) {
    return domain(
        name,
        "",
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
            + "<source file='"
            + image
            + "'/><target dev='vda' bus='virtio'/></disk>");
  }

  /** Adds VMI metadata (namespace and one label) to a domain XML. */
  static String withMetadata(String xml, String namespace, String key, String value) {
    return xml.replace(
        "<memory",
        "<metadata><lm:vmi xmlns:lm='"
            + LibvirtInventory.METADATA_NAMESPACE
            + "' namespace='"
            + namespace
            + "'><lm:label key='"
            + key
            + "' value='"
            + value
            + "'/></lm:vmi></metadata><memory");
  }

  private static String domain(String name, String os, String devices) {
    return "<domain type='qemu'><name>"
        + name
        + "</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
        + "<os><type arch='x86_64' machine='q35'>hvm</type>"
        + os
        + "</os><devices>"
        + devices
        + "<controller type='usb' model='none'/><memballoon model='none'/></devices></domain>";
  }
}
