package dev.livemigration.api;

/** The access mode of a persistent volume claim. */
public enum AccessMode {
  /** Read-write by a single node. */
  READ_WRITE_ONCE,
  /** Read-only by many nodes. */
  READ_ONLY_MANY,
  /** Read-write by many nodes: the only mode under which a claim can be live-migrated. */
  READ_WRITE_MANY,
  /** Read-write by a single pod. */
  READ_WRITE_ONCE_POD;

  /** Returns the mode as Kubernetes spells it in a claim: {@code ReadWriteMany} and so on. */
  public String kubernetesName() {
    return switch (this) {
      case READ_WRITE_ONCE -> "ReadWriteOnce";
      case READ_ONLY_MANY -> "ReadOnlyMany";
      case READ_WRITE_MANY -> "ReadWriteMany";
      case READ_WRITE_ONCE_POD -> "ReadWriteOncePod";
    };
  }
}
