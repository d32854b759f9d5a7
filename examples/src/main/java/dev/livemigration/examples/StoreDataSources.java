package dev.livemigration.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * Connection pools for the PostgreSQL migration store of the CLI and the benchmarks: HikariCP over
 * the PostgreSQL driver, from a JDBC URL such as {@code
 * jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}.
 */
public final class StoreDataSources {
  private StoreDataSources() {}

  /**
   * Returns a pool of at most {@code size} connections to {@code url}; close it when done.
   *
   * @throws IllegalArgumentException if the URL is not a {@code jdbc:postgresql:} URL
   */
  public static HikariDataSource pool(String url, int size) {
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "the store must be a jdbc:postgresql: URL, such as"
              + " jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres, but was '"
              + url
              + "'");
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(1);
    config.setPoolName("livemigration-store");
    config.setConnectionTimeout(10_000);
    return new HikariDataSource(config);
  }
}
