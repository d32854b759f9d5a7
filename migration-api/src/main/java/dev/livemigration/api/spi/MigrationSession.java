package dev.livemigration.api.spi;

import dev.livemigration.api.Directive;
import dev.livemigration.api.ProgressSample;
import java.util.Map;

/**
 * One migration as a backend runs it. The engine calls the methods in order — {@link
 * #prepareTarget()}, {@link #start()}, then {@link #sample()} and {@link #apply(Directive)}
 * repeatedly, possibly {@link #abort()}, and finally {@link #close()} — from one thread at a time.
 * Methods may block; they report failures by throwing {@link BackendException}.
 */
public interface MigrationSession extends AutoCloseable {

  /** Makes the target ready to receive the guest and tells where it listens. */
  TargetEndpoint prepareTarget();

  /** Starts moving the guest; returns once the migration job runs. */
  void start();

  /**
   * Reads the job's progress now. A job that ended reports {@link ProgressSample.Status#COMPLETED}
   * or {@link ProgressSample.Status#FAILED}.
   */
  ProgressSample sample();

  /** Applies a strategy's directive to the running job. */
  void apply(Directive directive);

  /**
   * Asks the job to stop with the guest left running on the source; the outcome shows in later
   * samples (FAILED when stopped, COMPLETED when it was too late). Idempotent.
   */
  void abort();

  /**
   * What {@link HypervisorBackend#resume} needs to find this migration again from another process
   * (for example the hypervisor's job and domain), read once after {@link #start()} and kept with
   * the migration's record; empty (the default) when the migration cannot outlive its engine.
   */
  default Map<String, String> resumeData() {
    return Map.of();
  }

  /** Releases what the session holds; after a failure, discards partial state on the target. */
  @Override
  default void close() {}
}
