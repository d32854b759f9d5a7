package dev.livemigration.api;

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
  /** User-mode networking through passt. */
  PASST
}
