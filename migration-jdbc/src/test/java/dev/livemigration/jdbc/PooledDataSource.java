package dev.livemigration.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A minimal connection pool for the replica JVMs, as the store's users bring one (opening a
 * PostgreSQL connection per store call costs a server process each time): closing a connection
 * rolls back what it left open, restores auto-commit and keeps it for the next caller. Connections
 * that failed are dropped. Test code only.
 */
final class PooledDataSource implements DataSource {
  private final DataSource target;
  private final Deque<Connection> idle = new ArrayDeque<>();

  PooledDataSource(DataSource target) {
    this.target = target;
  }

  @Override
  public Connection getConnection() throws SQLException {
    Connection physical;
    synchronized (idle) {
      physical = idle.pollFirst();
    }
    if (physical == null || physical.isClosed()) {
      physical = target.getConnection();
    }
    return lend(physical);
  }

  private Connection lend(Connection physical) {
    boolean[] returned = {false};
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
              switch (method.getName()) {
                case "close" -> {
                  if (!returned[0]) {
                    returned[0] = true;
                    giveBack(physical);
                  }
                  return null;
                }
                case "isClosed" -> {
                  return returned[0] || physical.isClosed();
                }
                default -> {
                  if (returned[0]) {
                    throw new SQLException("connection already closed");
                  }
                  try {
                    return method.invoke(physical, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                }
              }
            });
  }

  private void giveBack(Connection physical) {
    try {
      if (!physical.getAutoCommit()) {
        physical.rollback();
        physical.setAutoCommit(true);
      }
      synchronized (idle) {
        idle.addFirst(physical);
      }
    } catch (SQLException e) {
      try {
        physical.close();
      } catch (SQLException ignored) {
        // Dropped either way.
      }
    }
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("the pool has one user");
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {}

  @Override
  public void setLoginTimeout(int seconds) {}

  @Override
  public int getLoginTimeout() {
    return 0;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException("no java.util.logging");
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    if (type.isInstance(this)) {
      return type.cast(this);
    }
    throw new SQLException("not a " + type.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> type) {
    return type.isInstance(this);
  }
}
