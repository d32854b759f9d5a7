package dev.livemigration.core;

import dev.livemigration.api.CancelResult;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import java.util.concurrent.CompletableFuture;

/**
 * A handle on a migration by its uid: the state comes from the replica that drives it, or from the
 * store when another replica does. Two handles on one migration are equal.
 */
final class EngineHandle implements MigrationHandle {
  private final DefaultMigrationEngine engine;
  private final String uid;
  private final VirtualMachineInstanceMigration request;
  private volatile MigrationState lastSeen;

  EngineHandle(
      DefaultMigrationEngine engine,
      MigrationState state,
      VirtualMachineInstanceMigration request) {
    this.engine = engine;
    this.uid = state.migrationUid();
    this.request = request;
    this.lastSeen = state;
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public VirtualMachineInstanceMigration request() {
    return request;
  }

  @Override
  public MigrationState state() {
    MigrationState now = engine.stateOf(uid);
    if (now != null) {
      lastSeen = now;
      return now;
    }
    return lastSeen;
  }

  @Override
  public CompletableFuture<MigrationState> completion() {
    return engine.completions.of(uid, lastSeen);
  }

  @Override
  public CancelResult cancel() {
    return engine.cancellations.cancel(uid);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof EngineHandle that && that.uid.equals(uid) && that.engine == engine;
  }

  @Override
  public int hashCode() {
    return uid.hashCode();
  }

  @Override
  public String toString() {
    return request.namespace() + "/" + request.name() + " (" + uid + ")";
  }
}
