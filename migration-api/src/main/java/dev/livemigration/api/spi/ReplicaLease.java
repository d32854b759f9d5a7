package dev.livemigration.api.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * One engine replica's membership of a {@link MigrationStore}: its name, the incarnation that this
 * run of it holds, and when its lease ends by the store's clock unless renewed.
 *
 * @param replica the replica's name, unique among the replicas sharing the store
 * @param incarnation raised each time a replica of that name joins; a restarted replica gets a new
 *     one, so that the migrations its previous run drove are adopted at once
 * @param expiresAt when the lease ends by the store's clock
 */
public record ReplicaLease(String replica, long incarnation, Instant expiresAt) {

  /** Checks that no component is null. */
  public ReplicaLease {
    Objects.requireNonNull(replica, "replica");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }
}
