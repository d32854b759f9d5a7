package dev.livemigration.api;

/** Where a VMI's volume comes from; decides whether a migration can share it or must copy it. */
public enum VolumeType {
  /** A PersistentVolumeClaim; shared only with {@code ReadWriteMany} access. */
  PERSISTENT_VOLUME_CLAIM,
  /** A CDI DataVolume (backed by a PVC); shared only with {@code ReadWriteMany} access. */
  DATA_VOLUME,
  /** A read-only image with a local, ephemeral writable layer; copied by a block migration. */
  CONTAINER_DISK,
  /** A local scratch disk; copied by a block migration. */
  EMPTY_DISK,
  /** A disk image on the node's own file system; copied by a block migration. */
  HOST_DISK,
  /** Generated data (cloud-init, config map, secret, service account); recreated on the target. */
  GENERATED,
  /**
   * A claim used as a read-only base with a node-local writable layer (KubeVirt's {@code
   * ephemeral}); KubeVirt copies it by a block migration.
   */
  EPHEMERAL,
  /**
   * A claim that receives a dump of the guest's memory (KubeVirt's {@code memoryDump}); KubeVirt
   * counts it among the volumes a block migration copies.
   */
  MEMORY_DUMP,
  /**
   * A read-only path of the launcher shared with the guest over virtiofs (KubeVirt's {@code
   * containerPath}); present on every node, neither copied nor shared.
   */
  CONTAINER_PATH;

  /** Returns whether this type of volume is backed by a persistent volume claim. */
  public boolean isClaim() {
    return this == PERSISTENT_VOLUME_CLAIM || this == DATA_VOLUME;
  }

  /** Returns whether this type of volume lives on the node and must be copied to migrate. */
  public boolean isNodeLocal() {
    return this == CONTAINER_DISK
        || this == EMPTY_DISK
        || this == HOST_DISK
        || this == EPHEMERAL
        || this == MEMORY_DUMP;
  }
}
