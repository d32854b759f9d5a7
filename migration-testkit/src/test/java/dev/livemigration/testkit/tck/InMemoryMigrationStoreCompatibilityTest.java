package dev.livemigration.testkit.tck;

import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.core.store.InMemoryMigrationStore;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;

@DisplayName("InMemoryMigrationStore keeps the store contract")
class InMemoryMigrationStoreCompatibilityTest extends MigrationStoreCompatibilityKit {

  @Override
  protected MigrationStore newStore(int retention) {
    return new InMemoryMigrationStore(Instant::now, retention);
  }
}
