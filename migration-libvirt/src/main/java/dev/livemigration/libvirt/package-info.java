/**
 * The libvirt {@link dev.livemigration.api.spi.HypervisorBackend}: real QEMU migrations driven
 * through libvirt-java (with a few calls of its own bound through JNA), and a {@link
 * dev.livemigration.api.spi.ClusterInventory} read from the hosts' domain XML. Start with {@link
 * dev.livemigration.libvirt.LibvirtBackend#builder()}.
 */
@NullMarked
package dev.livemigration.libvirt;

import org.jspecify.annotations.NullMarked;
