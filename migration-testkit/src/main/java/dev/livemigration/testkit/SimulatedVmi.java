package dev.livemigration.testkit;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import dev.livemigration.testkit.model.GuestProfile;
import java.util.Objects;

/**
 * Describes a simulated VMI for {@link AbstractSimulatedCluster#addVmi}: where it runs, its memory,
 * how fast and where it dirties memory, its volumes, interfaces and labels.
 *
 * <pre>{@code
 * cluster.addVmi("vmi-fedora", vmi -> vmi.on("node02").memory("1Gi").dirtyRate("50Mi"));
 * }</pre>
 */
public final class SimulatedVmi {
  private final VirtualMachineInstance.Builder vmi = VirtualMachineInstance.builder();
  private Quantity memory = Quantity.parse("1Gi");
  private Quantity dirtyRate = Quantity.ZERO;
  private Quantity workingSet;
  private DirtyPattern pattern = DirtyPattern.SEQUENTIAL;
  private String node;

  SimulatedVmi(String name, String defaultNode) {
    vmi.name(name);
    this.node = defaultNode;
  }

  /** Places the VMI on a node; the cluster's first node unless set. */
  public SimulatedVmi on(String nodeName) {
    this.node = Objects.requireNonNull(nodeName, "nodeName");
    return this;
  }

  /** Puts the VMI in a namespace; {@code default} unless set. */
  public SimulatedVmi namespace(String namespace) {
    vmi.namespace(namespace);
    return this;
  }

  /** Sets the guest's memory, as a quantity such as {@code 1Gi}; 1Gi unless set. */
  public SimulatedVmi memory(String quantity) {
    this.memory = Quantity.parse(quantity);
    return this;
  }

  /** Sets how many bytes per second the guest dirties, such as {@code 50Mi}; 0 unless set. */
  public SimulatedVmi dirtyRate(String quantityPerSecond) {
    this.dirtyRate = Quantity.parse(quantityPerSecond);
    return this;
  }

  /** Sets how much distinct memory the guest writes to; all of its memory unless set. */
  public SimulatedVmi workingSet(String quantity) {
    this.workingSet = Quantity.parse(quantity);
    return this;
  }

  /**
   * Sets which pages the guest's writes pick; {@link DirtyPattern#SEQUENTIAL} unless set, so that
   * every write finds a clean page until the working set is full.
   */
  public SimulatedVmi pattern(DirtyPattern pattern) {
    this.pattern = Objects.requireNonNull(pattern, "pattern");
    return this;
  }

  /** Adds a label, matched by migration policies. */
  public SimulatedVmi label(String key, String value) {
    vmi.putLabels(key, value);
    return this;
  }

  /** Adds a persistent volume claim with the given access mode. */
  public SimulatedVmi claim(String volumeName, AccessMode accessMode) {
    vmi.addVolumes(
        Volume.builder()
            .name(volumeName)
            .type(VolumeType.PERSISTENT_VOLUME_CLAIM)
            .addAccessModes(accessMode)
            .build());
    return this;
  }

  /** Adds a node-local disk that a block migration copies, such as a container disk. */
  public SimulatedVmi localDisk(String volumeName, VolumeType type, String size) {
    vmi.addVolumes(Volume.builder().name(volumeName).type(type).size(Quantity.parse(size)).build());
    return this;
  }

  /** Adds a pod-network interface with the given binding and forwarded ports. */
  public SimulatedVmi podInterface(String name, InterfaceBinding binding, int... ports) {
    vmi.addInterfaces(
        NetworkInterface.builder().name(name).binding(binding).addPorts(ports).build());
    return this;
  }

  VirtualMachineInstance build() {
    return vmi.nodeName(node).memory(memory).build();
  }

  GuestProfile profile() {
    long set = workingSet == null ? memory.bytes() : workingSet.bytes();
    return new GuestProfile(dirtyRate.bytes(), set, pattern.spread());
  }
}
