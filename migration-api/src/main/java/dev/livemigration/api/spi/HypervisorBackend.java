package dev.livemigration.api.spi;

import dev.livemigration.api.Condition;
import dev.livemigration.api.VirtualMachineInstance;
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

  /** Releases the backend's connections and threads. Idempotent. */
  @Override
  default void close() {}
}
