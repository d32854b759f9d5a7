package dev.livemigration.api.spi;

import dev.livemigration.api.Condition;
import dev.livemigration.api.VirtualMachineInstance;
import java.util.Map;
import java.util.Optional;

/**
 * Moves guests between hosts for the engine: a hypervisor (libvirt/QEMU), the built-in data plane,
 * or a simulation. The engine opens one {@link MigrationSession} per migration and drives it; the
 * backend never decides on limits, timeouts or strategy.
 */
public interface HypervisorBackend extends AutoCloseable {

  /** A short, stable name for logs and errors, for example {@code libvirt}. */
  String id();

  /**
   * Opens a session for one migration; nothing moves until {@link MigrationSession#start()}.
   *
   * @throws BackendException if the backend cannot take the migration
   */
  MigrationSession open(MigrationSpec spec);

  /**
   * Returns why this backend cannot migrate the VMI, beyond the engine's own rules (for example a
   * device that cannot be migrated), as a {@code LiveMigratable} condition that is false.
   */
  default Optional<Condition> checkMigratable(VirtualMachineInstance vmi) {
    return Optional.empty();
  }

  /**
   * Resumes driving a migration whose engine stopped (crashed, restarted, lost its lease), from the
   * {@link MigrationSession#resumeData() resume data} the session gave when it started. Returns a
   * session on the migration as it is now: its next {@link MigrationSession#sample()} says whether
   * it still runs, completed (the guest runs on the target) or failed; {@code prepareTarget} and
   * {@code start} are not called on it. Returns empty when this backend cannot resume migrations
   * (the default), and the engine records the migration as failed with that reason.
   *
   * @throws BackendException if the backend cannot find out what became of the migration
   */
  default Optional<MigrationSession> resume(MigrationSpec spec, Map<String, String> resumeData) {
    return Optional.empty();
  }

  /** Releases the backend's connections and threads. Idempotent. */
  @Override
  default void close() {}
}
