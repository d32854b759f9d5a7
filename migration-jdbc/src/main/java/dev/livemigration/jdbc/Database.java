package dev.livemigration.jdbc;

import dev.livemigration.api.spi.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each step of the store as one transaction on a connection of the user's {@link DataSource},
 * creates the tables on first use, retries a step that lost a serialization or deadlock race, and
 * turns a {@link SQLException} into a {@link StoreException} in the user's terms.
 */
final class Database {
  private static final Logger LOG = LoggerFactory.getLogger(Database.class);
  private static final int ATTEMPTS = 3;

  /** One step of the store, run on a connection inside a transaction. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  private final DataSource dataSource;
  private final Schema schema;
  private final int timeoutSeconds;
  private static final String UNCONNECTED = "the DataSource ";
  private volatile String where;
  private volatile boolean ready;

  Database(DataSource dataSource, Schema schema, int timeoutSeconds) {
    this.dataSource = dataSource;
    this.schema = schema;
    this.timeoutSeconds = timeoutSeconds;
    this.where = describe(dataSource);
  }

  /** The data source's URL if it tells one (without a password), else its class. */
  private static String describe(DataSource dataSource) {
    for (String getter : new String[] {"getUrl", "getURL", "getJdbcUrl"}) {
      try {
        Object url = dataSource.getClass().getMethod(getter).invoke(dataSource);
        if (url instanceof String text && !text.isBlank()) {
          return text.replaceAll("(?i)(password=)[^&;]*", "$1***");
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        // Not a getter this data source has: try the next, or name its class.
      }
    }
    return UNCONNECTED + dataSource.getClass().getName();
  }

  /** Prepares a statement with the store's timeout. */
  PreparedStatement prepare(Connection connection, String sql) throws SQLException {
    PreparedStatement statement = connection.prepareStatement(sql);
    statement.setQueryTimeout(timeoutSeconds);
    return statement;
  }

  /**
   * Runs {@code work} in one transaction and commits it; rolls back if it throws. {@code doing}
   * names the step for error messages ("admitting migration default/job").
   */
  <T> T transaction(String doing, Work<T> work) {
    return run(doing, work, false);
  }

  /**
   * Runs {@code work}, one statement or statements that need not be atomic together, in auto-commit
   * mode: each statement is its own transaction, without a round trip to commit.
   */
  <T> T autoCommit(String doing, Work<T> work) {
    return run(doing, work, true);
  }

  private <T> T run(String doing, Work<T> work, boolean autoCommit) {
    for (int attempt = 1; ; attempt++) {
      try {
        return once(work, autoCommit);
      } catch (SQLException e) {
        if (retryable(e) && attempt < ATTEMPTS) {
          LOG.debug("Retrying {} after {}", doing, e.getMessage());
          continue;
        }
        throw translate(doing, e);
      }
    }
  }

  private <T> T once(Work<T> work, boolean autoCommit) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      if (where.startsWith(UNCONNECTED)) {
        where = connection.getMetaData().getURL();
      }
      boolean wasAutoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      try {
        ensureSchema(connection);
        if (autoCommit) {
          connection.setAutoCommit(true);
          return work.run(connection);
        }
        T result = work.run(connection);
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        if (!connection.getAutoCommit()) {
          rollback(connection, e);
        }
        throw e;
      } finally {
        if (connection.getAutoCommit() != wasAutoCommit) {
          connection.setAutoCommit(wasAutoCommit);
        }
      }
    }
  }

  private void ensureSchema(Connection connection) throws SQLException {
    if (ready) {
      return;
    }
    synchronized (this) {
      if (!ready) {
        try {
          schema.ensure(connection, timeoutSeconds);
        } catch (IllegalStateException e) {
          throw new StoreException("the migration store at " + where + " " + e.getMessage());
        }
        connection.commit();
        ready = true;
        LOG.info("Migration store tables {}* ready at {}", schema.t(""), where);
      }
    }
  }

  private static void rollback(Connection connection, Throwable cause) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  private static boolean retryable(SQLException e) {
    String state = e.getSQLState();
    return "40001".equals(state) || "40P01".equals(state);
  }

  /** A {@link StoreException} that says what failed, in words, with {@code e} as its cause. */
  StoreException translate(String doing, SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String reason = firstLine(e.getMessage());
    if (state.startsWith("08") || state.isEmpty() && where.startsWith(UNCONNECTED)) {
      return new StoreException(
          "cannot reach the migration store at " + where + ": " + reason + " (" + doing + ")", e);
    }
    if ("57014".equals(state) || "55P03".equals(state)) {
      return new StoreException(
          "cannot reach the migration store at "
              + where
              + ": no answer within "
              + timeoutSeconds
              + " s while "
              + doing,
          e);
    }
    if (state.startsWith("42") || state.startsWith("28")) {
      return new StoreException(
          "the migration store at "
              + where
              + " refused "
              + doing
              + ": "
              + reason
              + " (check the user's rights and the table prefix "
              + schema.t("")
              + ")",
          e);
    }
    return new StoreException(
        "the migration store at " + where + " failed while " + doing + ": " + reason, e);
  }

  private static String firstLine(String message) {
    if (message == null || message.isBlank()) {
      return "no reason given";
    }
    int newline = message.indexOf('\n');
    return (newline < 0 ? message : message.substring(0, newline)).trim();
  }
}
