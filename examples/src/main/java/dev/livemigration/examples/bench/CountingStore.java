package dev.livemigration.examples.bench;

import dev.livemigration.api.spi.Adoption;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.api.spi.QueueLimits;
import dev.livemigration.api.spi.ReplicaLease;
import dev.livemigration.api.spi.VmiSlot;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/** A store that counts the calls made to the store it wraps: one call is one round trip. */
final class CountingStore implements MigrationStore {
  private final MigrationStore delegate;
  private final LongAdder calls;

  CountingStore(MigrationStore delegate, LongAdder calls) {
    this.delegate = delegate;
    this.calls = calls;
  }

  private <T> T count(T result) {
    calls.increment();
    return result;
  }

  @Override
  public String id() {
    return delegate.id();
  }

  @Override
  public ReplicaLease join(String replica, Duration leaseDuration) {
    return count(delegate.join(replica, leaseDuration));
  }

  @Override
  public ReplicaLease renew(ReplicaLease lease, Duration leaseDuration) {
    return count(delegate.renew(lease, leaseDuration));
  }

  @Override
  public void leave(ReplicaLease lease) {
    calls.increment();
    delegate.leave(lease);
  }

  @Override
  public VmiSlot vmiSlot(String namespace, String vmiName) {
    return count(delegate.vmiSlot(namespace, vmiName));
  }

  @Override
  public MigrationRecord admit(MigrationRecord record, long expectedGeneration) {
    return count(delegate.admit(record, expectedGeneration));
  }

  @Override
  public List<MigrationRecord> claim(ReplicaLease lease, QueueLimits limits, int max) {
    return count(delegate.claim(lease, limits, max));
  }

  @Override
  public List<Adoption> adopt(ReplicaLease lease, int max) {
    return count(delegate.adopt(lease, max));
  }

  @Override
  public MigrationRecord write(ReplicaLease lease, MigrationRecord next) {
    return count(delegate.write(lease, next));
  }

  @Override
  public Optional<MigrationRecord> requestCancel(String migrationUid) {
    return count(delegate.requestCancel(migrationUid));
  }

  @Override
  public Optional<MigrationRecord> find(String migrationUid) {
    return count(delegate.find(migrationUid));
  }

  @Override
  public Optional<MigrationRecord> findByName(String namespace, String name) {
    return count(delegate.findByName(namespace, name));
  }

  @Override
  public Optional<MigrationRecord> latestForVmi(String namespace, String vmiName) {
    return count(delegate.latestForVmi(namespace, vmiName));
  }

  @Override
  public List<MigrationRecord> list() {
    return count(delegate.list());
  }

  @Override
  public void close() {
    delegate.close();
  }
}
