package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.ReceivingMemory;

/** Makes the memory a migration fills on its target; {@link PagedMemory} unless told otherwise. */
@FunctionalInterface
public interface TargetMemoryFactory {

  /**
   * Returns empty memory of this geometry for the migration. To be migrated again later, the memory
   * should also be a {@link dev.livemigration.api.spi.MigratableMemory}.
   */
  ReceivingMemory create(MigrationSpec spec, int pageSize, int pageCount);
}
