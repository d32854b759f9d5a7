package dev.livemigration.api;

/** Which network a migration travels on: KubeVirt's {@code migrationState.migrationNetworkType}. */
public enum MigrationNetworkType {
  /** The nodes' primary (pod) network. */
  POD,
  /** The dedicated migration network of {@link MigrationConfiguration#network()}. */
  MIGRATION
}
