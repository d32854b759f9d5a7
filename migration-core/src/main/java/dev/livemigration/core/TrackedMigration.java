package dev.livemigration.core;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.spi.MigrationSession;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * One migration the engine tracks. Its mutable fields are touched only while holding its own
 * monitor, so the backend session sees one call at a time.
 */
final class TrackedMigration implements MigrationHandle {
  static final int HISTORY = 128;

  final VirtualMachineInstanceMigration request;
  final VirtualMachineInstance vmi;
  final MigrationMethod method;
  final MigrationConfiguration configuration;
  final Duration completionTimeout;
  final CompletableFuture<MigrationState> completion = new CompletableFuture<>();
  private final DefaultMigrationEngine engine;
  private volatile MigrationState state;

  /** Set by {@link #cancel()}; acted upon by the migration's own steps. */
  volatile boolean cancelRequested;

  // Guarded by the engine's lock.
  boolean holdsSlot;
  @Nullable String targetNode;

  // Guarded by this.
  @Nullable MigrationSession session;
  @Nullable Instant startedAt;
  @Nullable Instant lastProgressAt;
  long lowWater = Long.MAX_VALUE;
  @Nullable String abortReason;
  @Nullable Instant abortSentAt;
  boolean postCopyRequested;
  boolean postCopyTimeoutReported;
  @Nullable Object lastDirective;
  final ArrayDeque<ProgressSample> history = new ArrayDeque<>();

  TrackedMigration(
      DefaultMigrationEngine engine,
      VirtualMachineInstanceMigration request,
      VirtualMachineInstance vmi,
      MigrationMethod method,
      MigrationConfiguration configuration,
      MigrationState initial) {
    this.engine = engine;
    this.request = request;
    this.vmi = vmi;
    this.method = method;
    this.configuration = configuration;
    this.completionTimeout = configuration.completionTimeoutFor(vmi.bytesToCopy());
    this.state = initial;
  }

  @Override
  public String uid() {
    return state.migrationUid();
  }

  @Override
  public VirtualMachineInstanceMigration request() {
    return request;
  }

  @Override
  public MigrationState state() {
    return state;
  }

  @Override
  public CompletableFuture<MigrationState> completion() {
    return completion.copy();
  }

  @Override
  public dev.livemigration.api.CancelResult cancel() {
    engine.cancel(this);
    return new dev.livemigration.api.CancelResult(
        dev.livemigration.api.CancelResult.Outcome.ABORT_REQUESTED, "requested");
  }

  boolean isTerminal() {
    return state.phase().isTerminal();
  }

  synchronized MigrationState update(UnaryOperator<MigrationState.Builder> change) {
    state = change.apply(MigrationState.builder().from(state)).build();
    return state;
  }

  synchronized void remember(ProgressSample sample) {
    history.addLast(sample);
    while (history.size() > HISTORY) {
      history.removeFirst();
    }
  }

  synchronized List<ProgressSample> historyBefore(ProgressSample latest) {
    return history.stream().filter(sample -> sample != latest).toList();
  }

  String key() {
    return DefaultMigrationEngine.key(request.namespace(), request.name());
  }

  @Override
  public String toString() {
    return request.namespace() + "/" + request.name() + " (" + uid() + ")";
  }
}
