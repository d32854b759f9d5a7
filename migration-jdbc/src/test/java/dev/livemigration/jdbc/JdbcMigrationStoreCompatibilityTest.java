package dev.livemigration.jdbc;

import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.testkit.tck.MigrationStoreCompatibilityKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgreSql.class)
@DisplayName("JdbcMigrationStore on a real PostgreSQL keeps the store contract")
class JdbcMigrationStoreCompatibilityTest extends MigrationStoreCompatibilityKit {
  private PostgreSql.Server server;

  @BeforeEach
  void server(PostgreSql.Server server) {
    this.server = server;
  }

  @Override
  protected MigrationStore newStore(int retention) {
    return JdbcMigrationStore.builder(server.dataSource())
        .tablePrefix(server.freshPrefix())
        .retention(retention)
        .build();
  }
}
