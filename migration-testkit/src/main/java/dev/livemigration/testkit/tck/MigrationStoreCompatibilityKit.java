package dev.livemigration.testkit.tck;

import static dev.livemigration.testkit.tck.StoreRecords.admit;
import static dev.livemigration.testkit.tck.StoreRecords.ended;
import static dev.livemigration.testkit.tck.StoreRecords.running;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationRejectedException.Reason;
import dev.livemigration.api.spi.Adoption;
import dev.livemigration.api.spi.FencedException;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.api.spi.QueueLimits;
import dev.livemigration.api.spi.ReplicaLease;
import dev.livemigration.api.spi.StaleVmiException;
import dev.livemigration.api.spi.VmiSlot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link MigrationStore} keeps with the engine: admission, the queue and its
 * limits, leases, fencing, adoption, cancel requests, retention and queries, and all of it under
 * concurrent use (see {@link MigrationStoreConcurrencyKit}, which this class extends). Extend it in
 * your store's tests and return a fresh, empty store:
 *
 * <pre>{@code
 * class MyStoreTest extends MigrationStoreCompatibilityKit {
 *   protected MigrationStore newStore(int retention) { return new MyStore(..., retention); }
 * }
 * }</pre>
 *
 * <p>Leases in the expiry tests are {@link #shortLease()} long, on the store's clock; the kit
 * sleeps for real to let them end.
 */
public abstract class MigrationStoreCompatibilityKit extends MigrationStoreConcurrencyKit {
  private static final QueueLimits WIDE = new QueueLimits(100, 100);

  private final List<MigrationStore> opened = new ArrayList<>();

  /**
   * Returns a new, empty store that keeps {@code retention} finished migrations; closed after the
   * test.
   */
  protected abstract MigrationStore newStore(int retention);

  @Override
  protected final MigrationStore store(int retention) {
    MigrationStore store = newStore(retention);
    opened.add(store);
    return store;
  }

  /** A store that keeps 10,000 finished migrations. */
  protected final MigrationStore store() {
    return store(10_000);
  }

  @AfterEach
  void closeStores() {
    opened.forEach(MigrationStore::close);
    opened.clear();
  }

  // ------------------------------------------------------------------------------- admission

  @Test
  @DisplayName("admit stores a pending record with a sequence and version 1, read back equal")
  void admitStoresRecord() {
    MigrationStore store = store();
    MigrationRecord admitted = StoreRecords.admitted("job", StoreRecords.vmi("vmi-a", "n1"), 3);
    MigrationRecord stored = store.admit(admitted, 0);
    assertTrue(stored.sequence() > 0, "a sequence: " + stored.sequence());
    assertEquals(1, stored.version());
    assertNull(stored.owner());
    assertEquals(MigrationPhase.PENDING, stored.phase());
    assertEquals(admitted.stored(stored.sequence(), 1, null, 0, false), stored);
    assertEquals(Optional.of(stored), store.find(stored.uid()));
    assertEquals(store.id(), store.id().strip());
  }

  @Test
  @DisplayName("admit refuses a VMI that is already migrating")
  void admitRefusesMigratingVmi() {
    MigrationStore store = store();
    admit(store, "first", "vmi-a", "n1", 0);
    MigrationRejectedException refused =
        assertThrows(
            MigrationRejectedException.class,
            () ->
                store.admit(
                    StoreRecords.admitted("second", StoreRecords.vmi("vmi-a", "n1"), 0),
                    store.vmiSlot("default", "vmi-a").generation()));
    assertEquals(Reason.ALREADY_MIGRATING, refused.reason());
  }

  @Test
  @DisplayName("admit refuses a name in progress, and allows it again once that migration ended")
  void admitRefusesDuplicateName() {
    MigrationStore store = store();
    ReplicaLease lease = store.join("r1", Duration.ofMinutes(1));
    MigrationRecord first = admit(store, "job", "vmi-a", "n1", 0);
    MigrationRejectedException refused =
        assertThrows(MigrationRejectedException.class, () -> admit(store, "job", "vmi-b", "n1", 0));
    assertEquals(Reason.DUPLICATE_NAME, refused.reason());
    assertTrue(store.latestForVmi("default", "vmi-b").isEmpty(), "nothing stored for vmi-b");

    MigrationRecord claimed = store.claim(lease, WIDE, 10).get(0);
    assertEquals(first.uid(), claimed.uid());
    store.write(lease, ended(claimed, true));
    MigrationRecord again = admit(store, "job", "vmi-b", "n1", 0);
    assertEquals(again.uid(), store.findByName("default", "job").orElseThrow().uid());
    assertTrue(again.sequence() > first.sequence(), "a later sequence");
  }

  @Test
  @DisplayName("the VMI's generation rises on admission and on the end, and a stale one is refused")
  void generations() {
    MigrationStore store = store();
    ReplicaLease lease = store.join("r1", Duration.ofMinutes(1));
    assertEquals(VmiSlot.NEW, store.vmiSlot("default", "vmi-a"));
    VmiSlot before = store.vmiSlot("default", "vmi-a");
    MigrationRecord record = admit(store, "job", "vmi-a", "n1", 0);
    assertEquals(new VmiSlot(1, record.uid()), store.vmiSlot("default", "vmi-a"));
    MigrationRecord claimed = store.claim(lease, WIDE, 1).get(0);
    store.write(lease, ended(claimed, false));
    assertEquals(new VmiSlot(2, null), store.vmiSlot("default", "vmi-a"));

    assertThrows(
        StaleVmiException.class,
        () ->
            store.admit(
                StoreRecords.admitted("late", StoreRecords.vmi("vmi-a", "n1"), 0),
                before.generation()));
    assertEquals(new VmiSlot(2, null), store.vmiSlot("default", "vmi-a"));
  }

  // ------------------------------------------------------------------------------- the queue

  @Test
  @DisplayName("claim takes the queue by priority, then first come first served, up to max")
  void queueOrder() {
    MigrationStore store = store();
    ReplicaLease lease = store.join("r1", Duration.ofMinutes(1));
    MigrationRecord a = admit(store, "a", "vmi-a", "n1", 0);
    MigrationRecord b = admit(store, "b", "vmi-b", "n2", 0);
    MigrationRecord c = admit(store, "c", "vmi-c", "n3", 5);
    MigrationRecord d = admit(store, "d", "vmi-d", "n4", 5);
    MigrationRecord e = admit(store, "e", "vmi-e", "n5", -1);
    List<MigrationRecord> first = store.claim(lease, WIDE, 3);
    assertEquals(List.of(c.uid(), d.uid(), a.uid()), uids(first));
    for (MigrationRecord claimed : first) {
      assertEquals(MigrationPhase.SCHEDULING, claimed.phase());
      assertEquals("r1", claimed.owner());
      assertTrue(claimed.fencingToken() > 0, "a fencing token");
      assertEquals(2, claimed.version());
      assertEquals(Optional.of(claimed), store.find(claimed.uid()));
    }
    assertEquals(3, first.stream().mapToLong(MigrationRecord::fencingToken).distinct().count());
    assertEquals(List.of(b.uid(), e.uid()), uids(store.claim(lease, WIDE, 10)));
    assertEquals(List.of(), store.claim(lease, WIDE, 10));
  }

  @Test
  @DisplayName("claim keeps the cluster limit over every replica, and an end frees a slot")
  void clusterLimit() {
    MigrationStore store = store();
    ReplicaLease r1 = store.join("r1", Duration.ofMinutes(1));
    ReplicaLease r2 = store.join("r2", Duration.ofMinutes(1));
    QueueLimits limits = new QueueLimits(3, 10);
    for (int i = 0; i < 5; i++) {
      admit(store, "m" + i, "vmi-" + i, "n" + i, 0);
    }
    List<MigrationRecord> first = store.claim(r1, limits, 2);
    assertEquals(2, first.size());
    List<MigrationRecord> second = store.claim(r2, limits, 10);
    assertEquals(1, second.size(), "one slot left under perCluster=3");
    assertEquals(List.of(), store.claim(r1, limits, 10));
    store.write(r2, ended(second.get(0), true));
    assertEquals(1, store.claim(r1, limits, 10).size(), "the end freed one slot");
    assertEquals(List.of(), store.claim(r2, limits, 10));
  }

  @Test
  @DisplayName("claim keeps the outbound limit per source node, skipping to other nodes")
  void nodeLimit() {
    MigrationStore store = store();
    ReplicaLease lease = store.join("r1", Duration.ofMinutes(1));
    QueueLimits limits = new QueueLimits(10, 2);
    MigrationRecord a1 = admit(store, "a1", "vmi-a1", "node-a", 0);
    MigrationRecord a2 = admit(store, "a2", "vmi-a2", "node-a", 0);
    MigrationRecord a3 = admit(store, "a3", "vmi-a3", "node-a", 0);
    MigrationRecord b1 = admit(store, "b1", "vmi-b1", "node-b", 0);
    List<MigrationRecord> claimed = store.claim(lease, limits, 10);
    assertEquals(List.of(a1.uid(), a2.uid(), b1.uid()), uids(claimed));
    assertEquals(List.of(), store.claim(lease, limits, 10));
    MigrationRecord runningA1 = store.write(lease, running(claimed.get(0), 100));
    store.write(lease, ended(runningA1, true));
    assertEquals(List.of(a3.uid()), uids(store.claim(lease, limits, 10)));
  }

  @Test
  @DisplayName("claim returns cancelled pending migrations first, still pending, without a slot")
  void cancelledFirst() {
    MigrationStore store = store();
    ReplicaLease lease = store.join("r1", Duration.ofMinutes(1));
    QueueLimits one = new QueueLimits(1, 1);
    MigrationRecord running = admit(store, "run", "vmi-r", "n1", 0);
    assertEquals(List.of(running.uid()), uids(store.claim(lease, one, 10)));
    MigrationRecord a = admit(store, "a", "vmi-a", "n2", 9);
    MigrationRecord b = admit(store, "b", "vmi-b", "n3", 0);
    MigrationRecord cancelled = store.requestCancel(b.uid()).orElseThrow();
    assertTrue(cancelled.cancelRequested());
    assertNull(cancelled.owner());

    List<MigrationRecord> claimed = store.claim(lease, one, 10);
    assertEquals(List.of(b.uid()), uids(claimed), "the cancelled one, though the cluster is full");
    assertEquals(MigrationPhase.PENDING, claimed.get(0).phase());
    assertTrue(claimed.get(0).cancelRequested());
    assertEquals("r1", claimed.get(0).owner());
    store.write(lease, ended(claimed.get(0), false));
    assertEquals(List.of(), store.claim(lease, one, 10), "a still waits for the running one");
    assertEquals(MigrationPhase.PENDING, store.find(a.uid()).orElseThrow().phase());
  }

  // ------------------------------------------------------------------------- fencing, leases

  @Test
  @DisplayName("a write needs the version and token it read: stale or foreign writes are fenced")
  void fencing() {
    MigrationStore store = store();
    ReplicaLease r1 = store.join("r1", Duration.ofMinutes(1));
    ReplicaLease r2 = store.join("r2", Duration.ofMinutes(1));
    admit(store, "job", "vmi-a", "n1", 0);
    MigrationRecord claimed = store.claim(r1, WIDE, 1).get(0);
    MigrationRecord written = store.write(r1, running(claimed, 1000));
    assertEquals(claimed.version() + 1, written.version());
    assertEquals(running(claimed, 1000).state(), written.state(), "state and progress kept");
    assertEquals(Optional.of(written), store.find(claimed.uid()));

    assertThrows(FencedException.class, () -> store.write(r1, running(claimed, 500)));
    assertThrows(FencedException.class, () -> store.write(r2, running(written, 500)));
    MigrationRecord otherToken =
        running(written, 500).stored(written.sequence(), written.version(), "r1", 999_999, false);
    assertThrows(FencedException.class, () -> store.write(r1, otherToken));
    assertEquals(Optional.of(written), store.find(claimed.uid()), "refused writes change nothing");

    MigrationRecord done = store.write(r1, ended(written, true));
    assertTrue(done.isTerminal());
    assertThrows(FencedException.class, () -> store.write(r1, running(done, 1)));
    assertEquals(Optional.of(done), store.requestCancel(done.uid()), "an ended record is final");
    assertEquals(Optional.of(done), store.find(done.uid()));
  }

  @Test
  @DisplayName("a replica that joins again gets a new incarnation; the old one is fenced")
  void rejoinSupersedes() {
    MigrationStore store = store();
    ReplicaLease old = store.join("r1", Duration.ofMinutes(1));
    admit(store, "job", "vmi-a", "n1", 0);
    MigrationRecord claimed = store.claim(old, WIDE, 1).get(0);
    ReplicaLease fresh = store.join("r1", Duration.ofMinutes(1));
    assertTrue(fresh.incarnation() > old.incarnation(), "a new incarnation");
    assertThrows(FencedException.class, () -> store.write(old, running(claimed, 5)));
    assertThrows(FencedException.class, () -> store.renew(old, Duration.ofMinutes(1)));
    assertThrows(FencedException.class, () -> store.claim(old, WIDE, 1));
    assertThrows(FencedException.class, () -> store.adopt(old, 1));

    List<Adoption> adoptions = store.adopt(fresh, 10);
    assertEquals("r1", adoptions.get(0).previousOwner(), "adopted from its earlier run");
    List<MigrationRecord> adopted = records(adoptions);
    assertEquals(List.of(claimed.uid()), uids(adopted), "its earlier run's migration, at once");
    assertTrue(adopted.get(0).fencingToken() > claimed.fencingToken(), "a new token");
    assertThrows(FencedException.class, () -> store.write(fresh, running(claimed, 5)));
    store.write(fresh, running(adopted.get(0), 5));
  }

  @Test
  @DisplayName("a lease ends unless renewed; then writes are fenced and another replica adopts")
  void expiryAndAdoption() {
    MigrationStore store = store();
    ReplicaLease survivor = store.join("survivor", Duration.ofMinutes(5));
    ReplicaLease dying = store.join("dying", shortLease());
    admit(store, "job", "vmi-a", "n1", 0);
    admit(store, "kept", "vmi-b", "n2", 0);
    List<MigrationRecord> claimed = store.claim(dying, WIDE, 2);
    assertEquals(2, claimed.size());
    MigrationRecord running = store.write(dying, running(claimed.get(0), 77));
    assertEquals(List.of(), store.adopt(survivor, 10), "nothing to adopt while the lease lasts");

    ReplicaLease renewed = store.renew(dying, shortLease());
    assertFalse(renewed.expiresAt().isBefore(dying.expiresAt()), "renew extends the lease");
    sleep(shortLease().plusMillis(800));
    assertThrows(FencedException.class, () -> store.renew(renewed, shortLease()));
    assertThrows(FencedException.class, () -> store.write(renewed, running(running, 50)));

    List<Adoption> adoptions = new ArrayList<>(store.adopt(survivor, 1));
    assertEquals(1, adoptions.size(), "max is kept");
    adoptions.addAll(store.adopt(survivor, 10));
    assertTrue(
        adoptions.stream().allMatch(a -> a.previousOwner().equals("dying")),
        "each adoption names the replica it was taken from");
    List<MigrationRecord> adopted = records(adoptions);
    assertEquals(uids(claimed), uids(adopted));
    MigrationRecord first = adopted.get(0);
    assertEquals("survivor", first.owner());
    assertEquals(running.state(), first.state(), "adoption keeps the state");
    assertEquals(running.resumeData(), first.resumeData(), "and the resume data");
    assertEquals(running.version() + 1, first.version());
    assertTrue(first.fencingToken() > running.fencingToken(), "a new token");
    assertEquals(List.of(), store.adopt(survivor, 10), "adopted once");
    assertThrows(FencedException.class, () -> store.write(dying, running(running, 10)));
    MigrationRecord next = store.write(survivor, running(first, 10));
    assertEquals("survivor", next.owner());
  }

  @Test
  @DisplayName("leave ends the lease at once, so its migrations are adopted at once")
  void leave() {
    MigrationStore store = store();
    ReplicaLease r1 = store.join("r1", Duration.ofMinutes(5));
    ReplicaLease r2 = store.join("r2", Duration.ofMinutes(5));
    admit(store, "job", "vmi-a", "n1", 0);
    MigrationRecord claimed = store.claim(r1, WIDE, 1).get(0);
    store.leave(r1);
    store.leave(r1);
    assertThrows(FencedException.class, () -> store.write(r1, running(claimed, 5)));
    assertThrows(FencedException.class, () -> store.renew(r1, Duration.ofMinutes(1)));
    assertEquals(List.of(claimed.uid()), uids(records(store.adopt(r2, 10))));
    ReplicaLease back = store.join("r1", Duration.ofMinutes(1));
    assertTrue(back.incarnation() > r1.incarnation());
  }

  @Test
  @DisplayName("claim and adopt need a valid lease")
  void claimNeedsLease() {
    MigrationStore store = store();
    ReplicaLease never = new ReplicaLease("stranger", 1, java.time.Instant.now().plusSeconds(60));
    admit(store, "job", "vmi-a", "n1", 0);
    assertThrows(FencedException.class, () -> store.claim(never, WIDE, 1));
    assertThrows(FencedException.class, () -> store.adopt(never, 1));
    assertThrows(FencedException.class, () -> store.renew(never, Duration.ofMinutes(1)));
    assertEquals(MigrationPhase.PENDING, store.findByName("default", "job").orElseThrow().phase());
  }

  @Test
  @DisplayName("a cancel request shows in the owner's next write, which still succeeds")
  void cancelReachesOwner() {
    MigrationStore store = store();
    ReplicaLease owner = store.join("owner", Duration.ofMinutes(1));
    MigrationRecord admitted = admit(store, "job", "vmi-a", "n1", 0);
    MigrationRecord claimed = store.claim(owner, WIDE, 1).get(0);
    assertFalse(claimed.cancelRequested());
    MigrationRecord requested = store.requestCancel(admitted.uid()).orElseThrow();
    assertTrue(requested.cancelRequested());
    assertEquals("owner", requested.owner());
    MigrationRecord written = store.write(owner, running(claimed, 10));
    assertTrue(written.cancelRequested(), "the owner learns of the cancel from its write");
    MigrationRecord ended = store.write(owner, ended(written, false));
    assertTrue(ended.cancelRequested());
    assertEquals(Optional.empty(), store.requestCancel("no-such-uid"));
  }

  // ----------------------------------------------------------------------- queries, retention

  @Test
  @DisplayName("find, findByName, latestForVmi and list (oldest first) read what was stored")
  void queries() {
    MigrationStore store = store();
    ReplicaLease lease = store.join("r1", Duration.ofMinutes(1));
    MigrationRecord first = admit(store, "job-1", "vmi-a", "n1", 0);
    MigrationRecord other = admit(store, "job-2", "vmi-b", "n1", 9);
    MigrationRecord claimed = store.claim(lease, WIDE, 10).get(1);
    assertEquals(first.uid(), claimed.uid());
    MigrationRecord ended = store.write(lease, ended(claimed, true));
    MigrationRecord second = admit(store, "job-3", "vmi-a", "n2", 0);

    assertEquals(Optional.of(ended), store.find(first.uid()));
    assertEquals(Optional.empty(), store.find("missing"));
    assertEquals(second.uid(), store.latestForVmi("default", "vmi-a").orElseThrow().uid());
    assertEquals(other.uid(), store.findByName("default", "job-2").orElseThrow().uid());
    assertEquals(Optional.empty(), store.findByName("default", "job-9"));
    assertEquals(Optional.empty(), store.latestForVmi("other", "vmi-a"));
    assertEquals(List.of(first.uid(), other.uid(), second.uid()), uids(store.list()));
  }

  @Test
  @DisplayName("only the newest finished migrations up to the retention are kept, and all others")
  void retention() {
    MigrationStore store = store(2);
    ReplicaLease lease = store.join("r1", Duration.ofMinutes(1));
    MigrationRecord waiting = admit(store, "waiting", "vmi-w", "n1", -1);
    List<String> finished = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      MigrationRecord admitted = admit(store, "job-" + i, "vmi-" + i, "n1", 0);
      MigrationRecord claimed = store.claim(lease, WIDE, 1).get(0);
      assertEquals(admitted.uid(), claimed.uid());
      store.write(lease, ended(claimed, true));
      finished.add(claimed.uid());
    }
    List<String> kept = uids(store.list());
    assertEquals(List.of(waiting.uid(), finished.get(3), finished.get(4)), kept);
    assertEquals(Optional.empty(), store.find(finished.get(0)));
    assertEquals(Optional.empty(), store.findByName("default", "job-0"));
    assertEquals(new VmiSlot(2, null), store.vmiSlot("default", "vmi-0"), "the VMI is remembered");
  }

  private static List<MigrationRecord> records(List<Adoption> adoptions) {
    return adoptions.stream().map(Adoption::record).toList();
  }

  static List<String> uids(List<MigrationRecord> records) {
    return records.stream().map(MigrationRecord::uid).toList();
  }
}
