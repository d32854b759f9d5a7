package dev.livemigration.core.store;

import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationRejectedException.Reason;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.spi.Adoption;
import dev.livemigration.api.spi.FencedException;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.api.spi.QueueLimits;
import dev.livemigration.api.spi.ReplicaLease;
import dev.livemigration.api.spi.StaleVmiException;
import dev.livemigration.api.spi.VmiSlot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A {@link MigrationStore} in this JVM's memory: the engine's default, shared by engines in one JVM
 * at most. Every method is one step under the store's lock; leases run on the clock it was given.
 * It keeps every unfinished migration and the newest finished ones up to its retention.
 */
public final class InMemoryMigrationStore implements MigrationStore {
  /** How many finished migrations are kept unless told otherwise. */
  public static final int DEFAULT_RETENTION = 10_000;

  private final Supplier<Instant> clock;
  private final int retention;

  // Guarded by this.
  private final Map<String, Replica> replicas = new HashMap<>();
  private final LinkedHashMap<String, Stored> records = new LinkedHashMap<>();
  private final Map<String, String> newestByName = new HashMap<>();
  private final Map<String, String> newestByVmi = new HashMap<>();
  private final Map<String, VmiSlot> vmis = new HashMap<>();
  private final TreeMap<QueueKey, String> queue = new TreeMap<>(QueueKey.ORDER);
  private final Set<String> cancelledInQueue = new LinkedHashSet<>();
  private final Map<String, Integer> outbound = new HashMap<>();
  private final Map<String, String> countedNode = new HashMap<>();
  private int active;
  private int finished;
  private long sequence;
  private long tokens;

  private record Replica(long incarnation, Instant expiresAt) {}

  /** A record with what only the store needs: the incarnation of the owner that holds it. */
  private record Stored(MigrationRecord record, long ownerIncarnation) {}

  private record QueueKey(int priority, long sequence) {
    static final Comparator<QueueKey> ORDER =
        Comparator.comparingInt((QueueKey key) -> -key.priority())
            .thenComparingLong(QueueKey::sequence);
  }

  /** A store on the system clock with the default retention. */
  public InMemoryMigrationStore() {
    this(Instant::now, DEFAULT_RETENTION);
  }

  /**
   * A store on {@code clock} (the engine's, for a store in virtual time) that keeps {@code
   * retention} finished migrations.
   */
  public InMemoryMigrationStore(Supplier<Instant> clock, int retention) {
    this.clock = Objects.requireNonNull(clock, "clock");
    if (retention < 0) {
      throw new IllegalArgumentException("retention must not be negative, but was " + retention);
    }
    this.retention = retention;
  }

  @Override
  public String id() {
    return "in-memory";
  }

  @Override
  public synchronized ReplicaLease join(String replica, Duration leaseDuration) {
    Objects.requireNonNull(replica, "replica");
    Replica previous = replicas.get(replica);
    long incarnation = previous == null ? 1 : previous.incarnation() + 1;
    Instant expiresAt = expiry(leaseDuration);
    replicas.put(replica, new Replica(incarnation, expiresAt));
    return new ReplicaLease(replica, incarnation, expiresAt);
  }

  @Override
  public synchronized ReplicaLease renew(ReplicaLease lease, Duration leaseDuration) {
    requireValid(lease);
    Instant expiresAt = expiry(leaseDuration);
    replicas.put(lease.replica(), new Replica(lease.incarnation(), expiresAt));
    return new ReplicaLease(lease.replica(), lease.incarnation(), expiresAt);
  }

  @Override
  public synchronized void leave(ReplicaLease lease) {
    Replica current = replicas.get(lease.replica());
    if (current != null && current.incarnation() == lease.incarnation()) {
      replicas.put(lease.replica(), new Replica(lease.incarnation(), Instant.MIN));
    }
  }

  @Override
  public synchronized VmiSlot vmiSlot(String namespace, String vmiName) {
    return vmis.getOrDefault(namespace + "/" + vmiName, VmiSlot.NEW);
  }

  @Override
  public synchronized MigrationRecord admit(MigrationRecord record, long expectedGeneration) {
    record.requireAdmissible();
    if (records.containsKey(record.uid())) {
      throw new IllegalArgumentException("a migration with uid " + record.uid() + " exists");
    }
    String vmiKey = record.vmiKey();
    VmiSlot slot = vmis.getOrDefault(vmiKey, VmiSlot.NEW);
    if (slot.activeMigrationUid() != null) {
      throw new MigrationRejectedException(
          Reason.ALREADY_MIGRATING,
          "VMI "
              + vmiKey
              + " is already migrating in "
              + records.get(slot.activeMigrationUid()).record().request().name());
    }
    if (slot.generation() != expectedGeneration) {
      throw new StaleVmiException(
          "VMI "
              + vmiKey
              + " changed while it was admitted: generation "
              + slot.generation()
              + ", expected "
              + expectedGeneration);
    }
    String byName = newestByName.get(record.key());
    if (byName != null && !records.get(byName).record().isTerminal()) {
      throw new MigrationRejectedException(
          Reason.DUPLICATE_NAME,
          "migration " + record.key() + " is already in progress (" + byName + ")");
    }
    long seq = ++sequence;
    MigrationRecord stored = record.stored(seq, 1, null, 0, false);
    records.put(stored.uid(), new Stored(stored, 0));
    newestByName.put(stored.key(), stored.uid());
    newestByVmi.put(vmiKey, stored.uid());
    vmis.put(vmiKey, new VmiSlot(slot.generation() + 1, stored.uid()));
    queue.put(new QueueKey(stored.priority(), seq), stored.uid());
    return stored;
  }

  @Override
  public synchronized List<MigrationRecord> claim(ReplicaLease lease, QueueLimits limits, int max) {
    requireValid(lease);
    List<MigrationRecord> claimed = new ArrayList<>();
    Iterator<String> cancelled = cancelledInQueue.iterator();
    while (claimed.size() < max && cancelled.hasNext()) {
      Stored stored = records.get(cancelled.next());
      cancelled.remove();
      queue.remove(new QueueKey(stored.record().priority(), stored.record().sequence()));
      claimed.add(own(stored.record(), lease, stored.record().state()));
    }
    Iterator<Map.Entry<QueueKey, String>> queued = queue.entrySet().iterator();
    while (claimed.size() < max && active < limits.perCluster() && queued.hasNext()) {
      MigrationRecord next = records.get(queued.next().getValue()).record();
      String node = next.sourceNode();
      if (outbound.getOrDefault(node, 0) >= limits.outboundPerNode()) {
        continue;
      }
      queued.remove();
      active++;
      outbound.merge(node, 1, Integer::sum);
      countedNode.put(next.uid(), node);
      MigrationState scheduling =
          MigrationState.builder().from(next.state()).phase(MigrationPhase.SCHEDULING).build();
      claimed.add(own(next, lease, scheduling));
    }
    return claimed;
  }

  @Override
  public synchronized List<Adoption> adopt(ReplicaLease lease, int max) {
    requireValid(lease);
    Instant now = clock.get();
    List<Adoption> adopted = new ArrayList<>();
    for (Stored stored : List.copyOf(records.values())) {
      if (adopted.size() >= max) {
        break;
      }
      MigrationRecord record = stored.record();
      if (record.isTerminal() || record.owner() == null) {
        continue;
      }
      Replica owner = replicas.get(record.owner());
      boolean gone =
          owner == null
              || owner.incarnation() != stored.ownerIncarnation()
              || !owner.expiresAt().isAfter(now);
      if (gone) {
        adopted.add(new Adoption(own(record, lease, record.state()), record.owner()));
      }
    }
    return adopted;
  }

  @Override
  public synchronized MigrationRecord write(ReplicaLease lease, MigrationRecord next) {
    Stored stored = records.get(next.uid());
    if (stored == null) {
      throw new FencedException("migration " + next.uid() + " is not in the store");
    }
    MigrationRecord current = stored.record();
    requireValid(lease);
    if (current.isTerminal()) {
      throw FencedException.ended(current);
    }
    if (!lease.replica().equals(current.owner())
        || stored.ownerIncarnation() != lease.incarnation()
        || current.fencingToken() != next.fencingToken()) {
      throw FencedException.notOwner(current, lease, next);
    }
    if (current.version() != next.version()) {
      throw FencedException.staleVersion(current, next);
    }
    if (next.phase() == MigrationPhase.PENDING) {
      throw new IllegalArgumentException(
          "a claimed migration cannot go back to the queue: " + current.key());
    }
    if (current.phase() == MigrationPhase.PENDING && !next.isTerminal()) {
      throw new IllegalArgumentException(
          "a migration claimed as cancelled holds no slot and can only end: " + current.key());
    }
    MigrationRecord written =
        next.stored(
            current.sequence(),
            current.version() + 1,
            current.owner(),
            current.fencingToken(),
            current.cancelRequested());
    records.put(written.uid(), new Stored(written, stored.ownerIncarnation()));
    if (written.isTerminal()) {
      end(current, written);
    }
    return written;
  }

  @Override
  public synchronized Optional<MigrationRecord> requestCancel(String migrationUid) {
    Stored stored = records.get(migrationUid);
    if (stored == null) {
      return Optional.empty();
    }
    MigrationRecord record = stored.record();
    if (record.isTerminal() || record.cancelRequested()) {
      return Optional.of(record);
    }
    // Not a versioned write: the owner's next write must not be refused for it.
    MigrationRecord cancelled =
        record.stored(
            record.sequence(), record.version(), record.owner(), record.fencingToken(), true);
    records.put(migrationUid, new Stored(cancelled, stored.ownerIncarnation()));
    if (record.owner() == null && record.phase() == MigrationPhase.PENDING) {
      cancelledInQueue.add(migrationUid);
    }
    return Optional.of(cancelled);
  }

  @Override
  public synchronized Optional<MigrationRecord> find(String migrationUid) {
    return Optional.ofNullable(records.get(migrationUid)).map(Stored::record);
  }

  @Override
  public synchronized Optional<MigrationRecord> findByName(String namespace, String name) {
    return Optional.ofNullable(newestByName.get(namespace + "/" + name)).flatMap(this::find);
  }

  @Override
  public synchronized Optional<MigrationRecord> latestForVmi(String namespace, String vmiName) {
    return Optional.ofNullable(newestByVmi.get(namespace + "/" + vmiName)).flatMap(this::find);
  }

  @Override
  public synchronized List<MigrationRecord> list() {
    return records.values().stream().map(Stored::record).toList();
  }

  // ---------------------------------------------------------------- bookkeeping

  private MigrationRecord own(MigrationRecord record, ReplicaLease lease, MigrationState state) {
    MigrationRecord owned =
        record
            .withState(state)
            .stored(
                record.sequence(),
                record.version() + 1,
                lease.replica(),
                ++tokens,
                record.cancelRequested());
    records.put(owned.uid(), new Stored(owned, lease.incarnation()));
    return owned;
  }

  private void end(MigrationRecord before, MigrationRecord ended) {
    // The node counted at the claim, whatever the state says now.
    String node = countedNode.remove(before.uid());
    if (node != null) {
      active--;
      outbound.merge(node, -1, Integer::sum);
      outbound.remove(node, 0);
    }
    String vmiKey = ended.vmiKey();
    VmiSlot slot = vmis.getOrDefault(vmiKey, VmiSlot.NEW);
    vmis.put(vmiKey, new VmiSlot(slot.generation() + 1, null));
    finished++;
    forgetOldFinished();
  }

  private void forgetOldFinished() {
    Iterator<Stored> oldest = records.values().iterator();
    while (finished > retention && oldest.hasNext()) {
      MigrationRecord candidate = oldest.next().record();
      if (candidate.isTerminal()) {
        oldest.remove();
        newestByName.remove(candidate.key(), candidate.uid());
        newestByVmi.remove(candidate.vmiKey(), candidate.uid());
        finished--;
      }
    }
  }

  private void requireValid(ReplicaLease lease) {
    Replica current = replicas.get(lease.replica());
    if (current == null || current.incarnation() != lease.incarnation()) {
      throw new FencedException(
          "replica "
              + lease.replica()
              + " (incarnation "
              + lease.incarnation()
              + ") is not a member of the store: a newer run of it joined, or it never did");
    }
    if (!current.expiresAt().isAfter(clock.get())) {
      throw new FencedException(
          "the lease of replica " + lease.replica() + " expired at " + current.expiresAt());
    }
  }

  private Instant expiry(Duration leaseDuration) {
    if (leaseDuration.isNegative() || leaseDuration.isZero()) {
      throw new IllegalArgumentException(
          "leaseDuration must be positive, but was " + leaseDuration);
    }
    Instant now = clock.get();
    Instant max = Instant.MAX.minus(Duration.ofDays(1));
    return Duration.between(now, max).compareTo(leaseDuration) <= 0 ? max : now.plus(leaseDuration);
  }
}
