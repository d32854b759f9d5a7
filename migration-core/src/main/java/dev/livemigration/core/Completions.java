package dev.livemigration.core;

import dev.livemigration.api.MigrationState;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationStore;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The futures behind {@code MigrationHandle.completion()}: completed by this replica when it ends a
 * migration, or by {@link #poll()} when the store shows that another replica ended it.
 */
final class Completions {
  private final MigrationStore store;
  private final Map<String, CompletableFuture<MigrationState>> waiting = new ConcurrentHashMap<>();

  Completions(MigrationStore store) {
    this.store = store;
  }

  /** Returns a copy of the migration's completion; {@code known} if the store forgot it. */
  CompletableFuture<MigrationState> of(String uid, MigrationState known) {
    if (known.phase().isTerminal()) {
      return CompletableFuture.completedFuture(known);
    }
    CompletableFuture<MigrationState> future =
        waiting.computeIfAbsent(uid, key -> new CompletableFuture<>());
    // The migration may have ended before the future was made: look once more.
    Optional<MigrationRecord> stored = store.find(uid);
    if (stored.isEmpty() || stored.get().isTerminal()) {
      complete(stored.map(MigrationRecord::state).orElse(known));
    }
    return future.copy();
  }

  void complete(MigrationState last) {
    CompletableFuture<MigrationState> future = waiting.remove(last.migrationUid());
    if (future != null) {
      future.complete(last);
    } else {
      // A later of() finds the migration terminal in the store; nothing waits now.
      waiting.remove(last.migrationUid());
    }
  }

  /** Completes the futures of migrations that ended elsewhere. */
  void poll() {
    for (String uid : waiting.keySet()) {
      store.find(uid).filter(MigrationRecord::isTerminal).ifPresent(r -> complete(r.state()));
    }
  }

  boolean anyWaiting() {
    return !waiting.isEmpty();
  }
}
