package dev.livemigration.api;

import java.util.Optional;

/** How a VMI's network interface is bound to its network. */
public enum InterfaceBinding {
  /** The guest is bridged onto the network; not migratable on the pod network. */
  BRIDGE,
  /** The guest sits behind NAT; migratable unless it forwards the migration ports. */
  MASQUERADE,
  /** A passthrough virtual function (SR-IOV). */
  SRIOV,
  /** User-mode networking. */
  SLIRP,
  /** User-mode networking through passt (KubeVirt's deprecated {@code passt}). */
  PASST,
  /** The core passt binding (KubeVirt's {@code passtBinding}); migratable on the pod network. */
  PASST_BINDING,
  /** A macvtap device (KubeVirt's deprecated {@code macvtap}). */
  MACVTAP,
  /**
   * A network binding plugin (KubeVirt's {@code binding: {name: …}}), named by {@link
   * NetworkInterface#bindingPlugin()}; migratable on the pod network when the plugin says how it
   * migrates.
   */
  PLUGIN;

  /**
   * Returns whether KubeVirt lets a VMI migrate whose pod-network interface has this binding:
   * {@code masquerade} and {@code passtBinding} yes; {@code bridge} only with the annotation {@code
   * kubevirt.io/allow-pod-bridge-network-live-migration}; a plugin only when the cluster registers
   * it with a {@code migration} method; every other binding no. Interfaces on secondary networks
   * (Multus, resource claims) are not checked by KubeVirt. Empty when it depends on the cluster (a
   * plugin) or on the VMI's annotations (a bridge).
   */
  public Optional<Boolean> liveMigratableOnPodNetwork() {
    return switch (this) {
      case MASQUERADE, PASST_BINDING -> Optional.of(true);
      case BRIDGE, PLUGIN -> Optional.empty();
      default -> Optional.of(false);
    };
  }
}
