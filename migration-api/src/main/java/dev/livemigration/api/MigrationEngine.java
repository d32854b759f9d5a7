package dev.livemigration.api;

import java.util.List;
import java.util.Optional;

/**
 * Live-migrates VMIs under cluster-wide limits, as KubeVirt does: the entry point a control plane
 * embeds. Build one with {@code dev.livemigration.core.MigrationEngines.builder()}.
 *
 * <p>All methods are thread-safe. Requests are admitted at once (or rejected with a {@link
 * MigrationRejectedException}), then wait as {@link MigrationPhase#PENDING} until the limits leave
 * room, first come first served.
 */
public interface MigrationEngine extends AutoCloseable {

  /**
   * Starts migrating the VMI the request names.
   *
   * @return a handle on the migration; its {@link MigrationHandle#completion()} completes when the
   *     migration succeeds or fails
   *     <p>Admission decides on the VMI's location and on "not migrating" atomically with creating
   *     the migration's record: a VMI whose previous migration ends meanwhile is read again, so the
   *     migration never starts from a node the VMI has left. A finished migration's name may be
   *     used again; {@link #find} then returns the newest migration of that name.
   * @throws MigrationRejectedException if the VMI is unknown, not live-migratable, already
   *     migrating, a migration of that name is in progress, or the engine is closed
   */
  MigrationHandle migrate(VirtualMachineInstanceMigration request);

  /**
   * Cancels the migration with this name, like deleting the migration object in KubeVirt.
   *
   * @return the cancelled migration's handle, or empty if no such migration is in progress
   */
  Optional<MigrationHandle> cancel(String namespace, String migrationName);

  /**
   * Cancels the migration in progress of this VMI, like {@code virtctl migrate-cancel}.
   *
   * @return the cancelled migration's handle, or empty if the VMI is not migrating
   */
  Optional<MigrationHandle> cancelForVmi(String namespace, String vmiName);

  /**
   * Migrates every live-migratable VMI away from a node, under the same limits as any migration;
   * VMIs that cannot migrate are listed in the result, not moved.
   */
  Drain drain(String nodeName);

  /** Returns the migration with this name, in progress or finished, if the engine knows it. */
  Optional<MigrationHandle> find(String namespace, String migrationName);

  /** Returns every migration the engine tracks, oldest first. */
  List<MigrationHandle> migrations();

  /**
   * Returns a VMI's migration status: its {@code LiveMigratable} condition, its migration method
   * and the state of its latest migration.
   *
   * @throws MigrationRejectedException if the VMI is unknown
   */
  VirtualMachineInstanceStatus status(String namespace, String vmiName);

  /** Returns the cluster configuration new migrations start with. */
  MigrationConfiguration configuration();

  /**
   * Replaces the cluster configuration, as editing the KubeVirt CR does: migrations admitted
   * afterwards use it; migrations already admitted keep the configuration in their state.
   */
  void reconfigure(MigrationConfiguration configuration);

  /**
   * Stops accepting requests, aborts migrations in pre-copy, waits for those in post-copy and
   * releases the backend. Idempotent.
   */
  @Override
  void close();
}
