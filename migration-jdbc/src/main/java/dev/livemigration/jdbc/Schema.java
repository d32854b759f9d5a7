package dev.livemigration.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The store's tables, all named with the store's prefix, and the version of their layout.
 *
 * <ul>
 *   <li>{@code schema}: one row, the layout's version ({@value #VERSION});
 *   <li>{@code replicas}: one row per replica name, with its incarnation and its lease's end on the
 *       database's clock;
 *   <li>{@code vmis}: one row per VMI seen, with its generation and its migration in progress;
 *   <li>{@code queue_lock}: one row that every claim locks ({@code SELECT … FOR UPDATE}), so that
 *       claims from every replica count and take slots one after the other;
 *   <li>{@code records}: one row per migration, with the JSON of its request, VMI, configuration,
 *       state and resume data, and the columns that the queue, the limits and fencing need;
 *   <li>the sequences {@code admissions} (queue order) and {@code tokens} (fencing tokens).
 * </ul>
 */
final class Schema {
  /** The layout this code reads and writes. */
  static final int VERSION = 1;

  private final String p;

  Schema(String prefix) {
    this.p = prefix;
  }

  /** The name of one of the store's tables or sequences. */
  String t(String name) {
    return p + name;
  }

  /**
   * Creates the tables if they are missing, in the caller's transaction, under an advisory lock so
   * that stores starting at once in several JVMs do not race.
   *
   * @throws IllegalStateException if the database holds a newer layout than this code knows
   */
  void ensure(Connection connection, int timeoutSeconds) throws SQLException {
    try (PreparedStatement lock =
        connection.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
      lock.setQueryTimeout(timeoutSeconds);
      lock.setString(1, "dev.livemigration.jdbc:" + p);
      lock.execute();
    }
    int found = 0;
    try (PreparedStatement exists =
        connection.prepareStatement(
            "SELECT to_regclass(current_schema() || '.' || ?) IS NOT NULL")) {
      exists.setQueryTimeout(timeoutSeconds);
      exists.setString(1, t("schema"));
      try (ResultSet rs = exists.executeQuery()) {
        rs.next();
        if (rs.getBoolean(1)) {
          found = currentVersion(connection, timeoutSeconds);
        }
      }
    }
    if (found == VERSION) {
      return;
    }
    if (found > VERSION) {
      throw new IllegalStateException(
          "the tables "
              + p
              + "* hold layout version "
              + found
              + ", newer than this library's "
              + VERSION
              + ": upgrade the library");
    }
    try (Statement ddl = connection.createStatement()) {
      ddl.setQueryTimeout(timeoutSeconds);
      for (String sql : create()) {
        ddl.addBatch(sql);
      }
      ddl.executeBatch();
    }
  }

  private int currentVersion(Connection connection, int timeoutSeconds) throws SQLException {
    try (Statement read = connection.createStatement()) {
      read.setQueryTimeout(timeoutSeconds);
      try (ResultSet rs = read.executeQuery("SELECT max(version) FROM " + t("schema"))) {
        return rs.next() ? rs.getInt(1) : 0;
      }
    }
  }

  private List<String> create() {
    String records = t("records");
    return List.of(
        "CREATE TABLE IF NOT EXISTS " + t("schema") + " (version integer PRIMARY KEY)",
        "CREATE TABLE IF NOT EXISTS "
            + t("replicas")
            + " (name text PRIMARY KEY, incarnation bigint NOT NULL,"
            + " expires_at timestamptz NOT NULL)",
        "CREATE TABLE IF NOT EXISTS "
            + t("vmis")
            + " (namespace text NOT NULL, name text NOT NULL, generation bigint NOT NULL,"
            + " active_uid text, PRIMARY KEY (namespace, name))",
        "CREATE TABLE IF NOT EXISTS " + t("queue_lock") + " (id integer PRIMARY KEY)",
        "INSERT INTO " + t("queue_lock") + " VALUES (1) ON CONFLICT DO NOTHING",
        "CREATE SEQUENCE IF NOT EXISTS " + t("admissions"),
        "CREATE SEQUENCE IF NOT EXISTS " + t("tokens"),
        "CREATE TABLE IF NOT EXISTS "
            + records
            + " (uid text PRIMARY KEY, seq bigint NOT NULL UNIQUE,"
            + " namespace text NOT NULL, name text NOT NULL, vmi_name text NOT NULL,"
            + " source_node text NOT NULL, priority integer NOT NULL, phase text NOT NULL,"
            + " queued boolean NOT NULL, holds_slot boolean NOT NULL, terminal boolean NOT NULL,"
            + " version bigint NOT NULL, owner text, owner_incarnation bigint NOT NULL,"
            + " token bigint NOT NULL, cancel_requested boolean NOT NULL,"
            + " method text NOT NULL, request jsonb NOT NULL, vmi jsonb NOT NULL,"
            + " configuration jsonb NOT NULL, state jsonb NOT NULL, resume_data jsonb NOT NULL)",
        // One migration in progress per name and per VMI, whatever races the checks lose.
        "CREATE UNIQUE INDEX IF NOT EXISTS "
            + records
            + "_name_in_progress ON "
            + records
            + " (namespace, name) WHERE NOT terminal",
        "CREATE UNIQUE INDEX IF NOT EXISTS "
            + records
            + "_vmi_in_progress ON "
            + records
            + " (namespace, vmi_name) WHERE NOT terminal",
        "CREATE INDEX IF NOT EXISTS "
            + records
            + "_queue ON "
            + records
            + " (priority DESC, seq) WHERE queued",
        // Claims look for cancelled queued records first, on every turn: without this index they
        // scan the whole queue each time.
        "CREATE INDEX IF NOT EXISTS "
            + records
            + "_cancelled_in_queue ON "
            + records
            + " (seq) WHERE queued AND cancel_requested",
        "CREATE INDEX IF NOT EXISTS "
            + records
            + "_slots ON "
            + records
            + " (source_node) WHERE holds_slot",
        "CREATE INDEX IF NOT EXISTS "
            + records
            + "_owned ON "
            + records
            + " (seq) WHERE owner IS NOT NULL AND NOT terminal",
        "CREATE INDEX IF NOT EXISTS "
            + records
            + "_finished ON "
            + records
            + " (seq) WHERE terminal",
        "CREATE INDEX IF NOT EXISTS "
            + records
            + "_by_name ON "
            + records
            + " (namespace, name, seq)",
        "CREATE INDEX IF NOT EXISTS "
            + records
            + "_by_vmi ON "
            + records
            + " (namespace, vmi_name, seq)",
        "INSERT INTO " + t("schema") + " VALUES (" + VERSION + ") ON CONFLICT DO NOTHING");
  }
}
