package dev.livemigration.core;

import dev.livemigration.api.spi.FencedException;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.api.spi.ReplicaLease;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This engine's lease in the store: joined at start, renewed by the housekeeping turn, left on
 * close. A renewal that the store refuses means that the replica's migrations may have been adopted
 * elsewhere: the engine stops driving them and joins again with a new incarnation.
 */
final class Membership {
  private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

  private final MigrationStore store;
  private final String replica;
  private final Duration leaseDuration;
  private volatile ReplicaLease lease;
  private volatile long renewedAtNanos = System.nanoTime();

  Membership(MigrationStore store, String replica, Duration leaseDuration) {
    this.store = store;
    this.replica = replica;
    this.leaseDuration = leaseDuration;
    this.lease = store.join(replica, leaseDuration);
    LOG.info(
        "Replica {} joined the {} migration store (incarnation {})",
        replica,
        store.id(),
        lease.incarnation());
  }

  ReplicaLease lease() {
    return lease;
  }

  String replica() {
    return replica;
  }

  Duration leaseDuration() {
    return leaseDuration;
  }

  /**
   * Renews the lease; returns false if it had been lost, in which case the replica has joined again
   * and the caller must stop driving the migrations of the old lease.
   */
  synchronized boolean renew() {
    try {
      long asked = System.nanoTime();
      lease = store.renew(lease, leaseDuration);
      renewedAtNanos = asked;
      return true;
    } catch (FencedException e) {
      LOG.warn("Replica {} lost its lease ({}); joining again", replica, e.getMessage());
      long asked = System.nanoTime();
      lease = store.join(replica, leaseDuration);
      renewedAtNanos = asked;
      return false;
    }
  }

  /**
   * Whether the lease may have run out by this JVM's monotonic clock since it was last renewed: the
   * replica was paused or starved for longer than the lease, so another may have adopted its
   * migrations.
   */
  boolean overdue() {
    return Duration.ofNanos(System.nanoTime() - renewedAtNanos).compareTo(leaseDuration) > 0;
  }

  void leave() {
    store.leave(lease);
  }
}
