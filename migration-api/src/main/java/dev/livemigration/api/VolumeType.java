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
  GENERATED;

  /** Returns whether this type of volume is backed by a persistent volume claim. */
  public boolean isClaim() {
    return this == PERSISTENT_VOLUME_CLAIM || this == DATA_VOLUME;
  }

  /** Returns whether this type of volume lives on the node and must be copied to migrate. */
  public boolean isNodeLocal() {
    return this == CONTAINER_DISK || this == EMPTY_DISK || this == HOST_DISK;
  }
}
