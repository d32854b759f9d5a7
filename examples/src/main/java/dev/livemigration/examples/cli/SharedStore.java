package dev.livemigration.examples.cli;

import com.zaxxer.hikari.HikariDataSource;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.api.spi.StoreException;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.examples.StoreDataSources;
import dev.livemigration.jdbc.JdbcMigrationStore;

/**
 * The CLI's {@code --store}: a PostgreSQL migration store over a small connection pool, and this
 * invocation's replica name; closed with the target.
 */
record SharedStore(MigrationStore store, String replica, HikariDataSource pool)
    implements AutoCloseable {

  static SharedStore open(String url, String replica) {
    HikariDataSource pool;
    try {
      pool = StoreDataSources.pool(url, 4);
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new StoreException(
          "cannot reach the migration store at " + withoutQuery(url) + ": " + cause.getMessage(),
          e);
    }
    return new SharedStore(JdbcMigrationStore.create(pool), replica, pool);
  }

  /** The URL without its parameters, which may hold a password. */
  private static String withoutQuery(String url) {
    int query = url.indexOf('?');
    return query < 0 ? url : url.substring(0, query);
  }

  /** Puts the engine of this invocation on the store, as its replica. */
  MigrationEngines.Builder apply(MigrationEngines.Builder builder) {
    return builder.store(store).replica(replica);
  }

  @Override
  public void close() {
    store.close();
    pool.close();
  }
}
