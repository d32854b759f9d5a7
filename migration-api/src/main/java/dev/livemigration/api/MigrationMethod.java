package dev.livemigration.api;

/** What a migration has to copy, as KubeVirt reports it in {@code status.migrationMethod}. */
public enum MigrationMethod {
  /** Some disks are not shared and must be copied to the target along with memory. */
  BLOCK_MIGRATION,
  /** All disks are shared; only the guest's memory (and device state) is copied. */
  LIVE_MIGRATION
}
