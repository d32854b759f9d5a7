package dev.livemigration.api.spi;

import dev.livemigration.api.MigrationRejectedException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where the engine keeps its migration records, its queue and its limits: in memory for one engine
 * (the default), or in a database shared by several engine replicas, so that a migration survives
 * the engine's restart and is driven by exactly one replica at a time.
 *
 * <p>Ownership: a replica {@link #join joins} with a lease that it {@link #renew renews}; the
 * migrations it {@link #claim claims} are its own while the lease lasts. Every {@link #write} is a
 * compare-and-set on the record's version that carries the owner's fencing token: once the lease
 * expired and another replica {@link #adopt adopted} the migration, the old owner's writes are
 * refused with {@link FencedException}, and it stops driving. Leases run on the store's clock, not
 * the replicas'.
 *
 * <p>Each method is one atomic step of the store (one transaction in a database). Implementations
 * are thread-safe; they throw {@link StoreException} when the store cannot be reached.
 */
public interface MigrationStore extends AutoCloseable {

  /** A short, stable name for logs, for example {@code in-memory} or {@code jdbc}. */
  String id();

  /**
   * Joins the store as {@code replica} with a new incarnation: the migrations that an earlier run
   * of the same replica drove can be adopted at once.
   */
  ReplicaLease join(String replica, Duration leaseDuration);

  /**
   * Extends the lease by {@code leaseDuration} from now by the store's clock.
   *
   * @throws FencedException if the lease already expired or a newer incarnation joined: every
   *     migration the replica drove may have been adopted, so it must stop driving them
   */
  ReplicaLease renew(ReplicaLease lease, Duration leaseDuration);

  /** Ends the lease now, so that other replicas adopt the replica's migrations. Idempotent. */
  void leave(ReplicaLease lease);

  /** Returns what the store knows of a VMI for admission; {@link VmiSlot#NEW} if nothing. */
  VmiSlot vmiSlot(String namespace, String vmiName);

  /**
   * Stores a newly admitted migration and queues it, atomically with the checks of admission: the
   * VMI's generation is still {@code expectedGeneration}, the VMI has no migration in progress, and
   * no migration of the same namespace and name is in progress.
   *
   * @param record a record from {@link MigrationRecord#admitted}
   * @return the stored record, with its sequence and version 1
   * @throws StaleVmiException if the VMI's generation moved: read its location again
   * @throws MigrationRejectedException with {@code ALREADY_MIGRATING} or {@code DUPLICATE_NAME}
   */
  MigrationRecord admit(MigrationRecord record, long expectedGeneration);

  /**
   * Takes up to {@code max} queued migrations for the replica, atomically with the limits: first
   * every queued migration whose cancel was requested (returned still pending, for the replica to
   * end), then, in queue order (priority, then sequence), each one that fits under {@code limits}
   * counted over every replica (returned in phase {@code SCHEDULING}, holding its slot). A record
   * claimed as cancelled holds no slot: its next write must end it. Each replica passes its own
   * configuration's limits; replicas that share a store should share the configuration.
   *
   * @throws FencedException if the lease is no longer valid
   */
  List<MigrationRecord> claim(ReplicaLease lease, QueueLimits limits, int max);

  /**
   * Takes over up to {@code max} unfinished migrations whose owner's lease expired or whose owner
   * joined again with a new incarnation, each with a new fencing token.
   *
   * @throws FencedException if the lease is no longer valid
   */
  List<Adoption> adopt(ReplicaLease lease, int max);

  /**
   * Replaces a record the replica owns: {@code next} carries the version and fencing token it was
   * read with. A terminal record frees its slot and its VMI, and never changes again.
   *
   * @return the stored record, with the next version and the current cancel request
   * @throws FencedException if the lease is no longer valid, the replica no longer owns the
   *     migration, or the record changed since {@code next}'s version
   */
  MigrationRecord write(ReplicaLease lease, MigrationRecord next);

  /**
   * Records a request to stop the migration, for its owner to act upon; any replica may call it. It
   * is not a versioned write: the record's version stays, so the owner's next write is not refused
   * for it, and that write's result carries the request.
   *
   * @return the record after the request, or empty if no such migration; an ended record is
   *     returned unchanged
   */
  Optional<MigrationRecord> requestCancel(String migrationUid);

  /** Returns the migration with this uid, if the store has it. */
  Optional<MigrationRecord> find(String migrationUid);

  /** Returns the newest migration of this namespace and name, if the store has one. */
  Optional<MigrationRecord> findByName(String namespace, String name);

  /** Returns the newest migration of this VMI, if the store has one. */
  Optional<MigrationRecord> latestForVmi(String namespace, String vmiName);

  /**
   * Returns every migration the store keeps, oldest first: all unfinished ones and the newest
   * finished ones up to the store's retention.
   */
  List<MigrationRecord> list();

  /** Releases the store's connections. Idempotent. */
  @Override
  default void close() {}
}
