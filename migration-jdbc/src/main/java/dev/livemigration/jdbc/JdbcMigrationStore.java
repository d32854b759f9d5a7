package dev.livemigration.jdbc;

import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationRejectedException.Reason;
import dev.livemigration.api.spi.Adoption;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.api.spi.QueueLimits;
import dev.livemigration.api.spi.ReplicaLease;
import dev.livemigration.api.spi.StaleVmiException;
import dev.livemigration.api.spi.VmiSlot;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link MigrationStore} in a PostgreSQL database reached through {@code java.sql}, shared by
 * every engine replica that uses the same database and table prefix.
 *
 * <pre>{@code
 * MigrationStore store = JdbcMigrationStore.create(dataSource);
 * MigrationStore custom = JdbcMigrationStore.builder(dataSource)
 *     .tablePrefix("lm_").retention(10_000).statementTimeout(Duration.ofSeconds(10)).build();
 * }</pre>
 *
 * <p>The store creates its tables on first use (see {@code Schema}: one schema-version table,
 * replicas, VMIs, a one-row queue lock and the records) and checks their version. Each method is
 * one transaction on one connection of the data source. Leases end by the database's clock ({@code
 * clock_timestamp()}). Admission locks the VMI's row; a claim locks the queue-lock row, so that
 * claims from every JVM count the slots one after the other; a write is an update conditioned on
 * the version, the fencing token, the owner's incarnation and a valid lease. Every statement has
 * the store's timeout. Errors are {@link dev.livemigration.api.spi.StoreException}s that say what
 * failed, with the {@link SQLException} as their cause.
 *
 * <p>The application brings a PostgreSQL JDBC driver and a pooled {@link DataSource}; the store
 * opens and closes one connection per call, and {@link #close()} does not close the data source.
 */
public final class JdbcMigrationStore implements MigrationStore {
  /** How many finished migrations are kept unless told otherwise, as in memory. */
  public static final int DEFAULT_RETENTION = 10_000;

  /** The table prefix unless told otherwise. */
  public static final String DEFAULT_TABLE_PREFIX = "lm_";

  /** The longest any statement may run, lock waits included, unless told otherwise. */
  public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(JdbcMigrationStore.class);
  private static final Pattern PREFIX = Pattern.compile("[a-z_][a-z0-9_]{0,39}");

  private final Database db;
  private final Sql sql;
  private final int retention;
  private final Duration statementTimeout;
  private final Refusals refusals;

  private JdbcMigrationStore(Builder builder) {
    Schema schema = new Schema(builder.tablePrefix);
    this.sql = new Sql(schema);
    this.db =
        new Database(
            builder.dataSource, schema, (int) Math.max(1, builder.statementTimeout.toSeconds()));
    this.retention = builder.retention;
    this.statementTimeout = builder.statementTimeout;
    this.refusals = new Refusals(db, sql);
  }

  /** A store with the default table prefix, retention and timeout. */
  public static JdbcMigrationStore create(DataSource dataSource) {
    return builder(dataSource).build();
  }

  /** A builder for a store on {@code dataSource}. */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  @Override
  public String id() {
    return "jdbc";
  }

  @Override
  public ReplicaLease join(String replica, Duration leaseDuration) {
    Objects.requireNonNull(replica, "replica");
    long micros = micros(leaseDuration);
    return db.autoCommit(
        "joining as replica " + replica,
        c -> {
          try (PreparedStatement s = db.prepare(c, sql.join)) {
            s.setString(1, replica);
            s.setLong(2, micros);
            try (ResultSet rs = s.executeQuery()) {
              rs.next();
              return new ReplicaLease(replica, rs.getLong(1), instant(rs, 2));
            }
          }
        });
  }

  @Override
  public ReplicaLease renew(ReplicaLease lease, Duration leaseDuration) {
    long micros = micros(leaseDuration);
    return db.autoCommit(
        "renewing the lease of replica " + lease.replica(),
        c -> {
          try (PreparedStatement s = db.prepare(c, sql.renew)) {
            s.setLong(1, micros);
            s.setString(2, lease.replica());
            s.setLong(3, lease.incarnation());
            try (ResultSet rs = s.executeQuery()) {
              if (!rs.next()) {
                throw refusals.invalidLease(c, lease);
              }
              return new ReplicaLease(lease.replica(), lease.incarnation(), instant(rs, 1));
            }
          }
        });
  }

  @Override
  public void leave(ReplicaLease lease) {
    db.autoCommit(
        "ending the lease of replica " + lease.replica(),
        c -> {
          try (PreparedStatement s = db.prepare(c, sql.leave)) {
            s.setString(1, lease.replica());
            s.setLong(2, lease.incarnation());
            return s.executeUpdate();
          }
        });
  }

  @Override
  public VmiSlot vmiSlot(String namespace, String vmiName) {
    return db.autoCommit(
        "reading VMI " + namespace + "/" + vmiName,
        c -> {
          try (PreparedStatement s = db.prepare(c, sql.vmiSlot)) {
            s.setString(1, namespace);
            s.setString(2, vmiName);
            try (ResultSet rs = s.executeQuery()) {
              return rs.next() ? new VmiSlot(rs.getLong(1), rs.getString(2)) : VmiSlot.NEW;
            }
          }
        });
  }

  @Override
  public MigrationRecord admit(MigrationRecord record, long expectedGeneration) {
    record.requireAdmissible();
    String ns = record.request().namespace();
    String vmiName = record.request().vmiName();
    return db.transaction(
        "admitting migration " + record.key(),
        c -> {
          long generation;
          String active;
          try (PreparedStatement s = db.prepare(c, sql.lockVmi)) {
            s.setString(1, ns);
            s.setString(2, vmiName);
            try (ResultSet rs = s.executeQuery()) {
              rs.next();
              generation = rs.getLong(1);
              active = rs.getString(2);
            }
          }
          if (active != null) {
            throw new MigrationRejectedException(
                Reason.ALREADY_MIGRATING,
                "VMI " + record.vmiKey() + " is already migrating in " + activeName(c, active));
          }
          if (generation != expectedGeneration) {
            throw new StaleVmiException(
                "VMI "
                    + record.vmiKey()
                    + " changed while it was admitted: generation "
                    + generation
                    + ", expected "
                    + expectedGeneration);
          }
          try (PreparedStatement s = db.prepare(c, sql.insert)) {
            Rows.bindInsert(s, record);
            try (ResultSet rs = s.executeQuery()) {
              rs.next();
              if (rs.getBoolean(3)) {
                throw new IllegalArgumentException(
                    "a migration with uid " + record.uid() + " exists");
              }
              String duplicate = rs.getString(1);
              if (duplicate != null) {
                throw Refusals.duplicateName(record, duplicate);
              }
              return record.stored(rs.getLong(2), 1, null, 0, false);
            }
          } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
              // A concurrent admission of the same name for another VMI won the race.
              throw Refusals.duplicateName(record, "admitted concurrently");
            }
            throw e;
          }
        });
  }

  private String activeName(Connection c, String uid) throws SQLException {
    try (PreparedStatement s = db.prepare(c, sql.activeName)) {
      s.setString(1, uid);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getString(1) : uid;
      }
    }
  }

  @Override
  public List<MigrationRecord> claim(ReplicaLease lease, QueueLimits limits, int max) {
    if (max < 1) {
      return List.of();
    }
    try {
      return claimUnderLock(lease, limits, max);
    } catch (QueueBusy busy) {
      LOG.debug(
          "The queue was locked for {}; replica {} claims later", busy.waited, lease.replica());
      return List.of();
    }
  }

  /**
   * How long a claim waits for the queue's lock before it gives up until its next turn, and how
   * long the server lets a transaction of this store sit idle (a replica paused inside a claim)
   * before it ends the session and frees the lock.
   */
  static final Duration QUEUE_LOCK_WAIT = Duration.ofSeconds(2);

  /** The queue's lock was held by someone else for longer than {@link #QUEUE_LOCK_WAIT}. */
  private static final class QueueBusy extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient Duration waited;

    QueueBusy(Duration waited) {
      super(null, null, false, false);
      this.waited = waited;
    }
  }

  private List<MigrationRecord> claimUnderLock(ReplicaLease lease, QueueLimits limits, int max) {
    return db.transaction(
        "claiming queued migrations for replica " + lease.replica(),
        c -> {
          try (PreparedStatement bounds = db.prepare(c, sql.claimBounds)) {
            bounds.setString(1, String.valueOf(QUEUE_LOCK_WAIT.toMillis()));
            bounds.setString(2, String.valueOf(idleInTransactionMillis()));
            bounds.executeQuery().close();
          }
          try (PreparedStatement lock = db.prepare(c, sql.queueLock)) {
            lock.executeQuery().close();
          } catch (SQLException e) {
            if (LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
              throw new QueueBusy(QUEUE_LOCK_WAIT);
            }
            throw e;
          }
          List<MigrationRecord> claimed;
          try (PreparedStatement s = db.prepare(c, sql.claim)) {
            int i = 0;
            s.setString(++i, lease.replica());
            s.setLong(++i, lease.incarnation());
            s.setInt(++i, max);
            s.setInt(++i, max);
            s.setInt(++i, limits.perCluster());
            s.setInt(++i, limits.outboundPerNode());
            s.setString(++i, lease.replica());
            s.setLong(++i, lease.incarnation());
            claimed = leased(c, s, lease);
          }
          claimed.sort(CLAIM_ORDER);
          return claimed;
        });
  }

  private static final String LOCK_NOT_AVAILABLE = "55P03";

  /** The server-side bound on an idle transaction: the statement timeout, at least 5 s. */
  private long idleInTransactionMillis() {
    return Math.max(5_000, statementTimeout.toMillis());
  }

  /** Cancelled pending records first (in admission order), then queue order. */
  private static final Comparator<MigrationRecord> CLAIM_ORDER =
      Comparator.comparing((MigrationRecord r) -> r.phase() != MigrationPhase.PENDING)
          .thenComparing(r -> r.phase() == MigrationPhase.PENDING ? 0 : -r.priority())
          .thenComparingLong(MigrationRecord::sequence);

  /** The columns of a record in a result row, after the lease's validity. */
  private static final int RECORD_COLUMNS = 13;

  @Override
  public List<Adoption> adopt(ReplicaLease lease, int max) {
    if (max < 1) {
      return List.of();
    }
    return db.autoCommit(
        "adopting migrations for replica " + lease.replica(),
        c -> {
          try (PreparedStatement s = db.prepare(c, sql.adopt)) {
            s.setString(1, lease.replica());
            s.setLong(2, lease.incarnation());
            s.setInt(3, max);
            s.setString(4, lease.replica());
            s.setLong(5, lease.incarnation());
            List<Adoption> adopted = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
              while (rs.next()) {
                if (!rs.getBoolean(1)) {
                  throw refusals.invalidLease(c, lease);
                }
                if (rs.getString(2) != null) {
                  adopted.add(new Adoption(Rows.record(rs, 1), rs.getString(RECORD_COLUMNS + 2)));
                }
              }
            }
            adopted.sort(Comparator.comparingLong(a -> a.record().sequence()));
            return adopted;
          }
        });
  }

  /** Runs a statement whose rows are the lease's validity and the records it changed. */
  private List<MigrationRecord> leased(Connection c, PreparedStatement s, ReplicaLease lease)
      throws SQLException {
    List<MigrationRecord> records = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        if (!rs.getBoolean(1)) {
          throw refusals.invalidLease(c, lease);
        }
        if (rs.getString(2) != null) {
          records.add(Rows.record(rs, 1));
        }
      }
    }
    return records;
  }

  @Override
  public MigrationRecord write(ReplicaLease lease, MigrationRecord next) {
    if (next.phase() == MigrationPhase.PENDING) {
      throw new IllegalArgumentException(
          "a claimed migration cannot go back to the queue: " + next.key());
    }
    boolean terminal = next.isTerminal();
    Rows.Json columns = Rows.json(next);
    Database.Work<MigrationRecord> work =
        c -> {
          MigrationRecord written;
          try (PreparedStatement s = db.prepare(c, sql.write)) {
            int i = 0;
            s.setString(++i, lease.replica());
            s.setLong(++i, lease.incarnation());
            s.setString(++i, next.phase().name());
            s.setBoolean(++i, terminal);
            s.setBoolean(++i, terminal);
            s.setInt(++i, next.priority());
            s.setString(++i, next.method().name());
            s.setString(++i, columns.request());
            s.setString(++i, columns.vmi());
            s.setString(++i, columns.configuration());
            s.setString(++i, columns.state());
            s.setString(++i, columns.resumeData());
            s.setString(++i, next.uid());
            s.setLong(++i, next.version());
            s.setLong(++i, next.fencingToken());
            s.setString(++i, lease.replica());
            s.setLong(++i, lease.incarnation());
            s.setBoolean(++i, terminal);
            try (ResultSet rs = s.executeQuery()) {
              rs.next();
              if (!rs.getBoolean(1)) {
                throw refusals.invalidLease(c, lease);
              }
              if (rs.getString(2) == null) {
                throw refusals.refused(c, lease, next);
              }
              written = Rows.record(rs, 1);
            }
          }
          if (terminal) {
            try (PreparedStatement s = db.prepare(c, sql.retain)) {
              s.setInt(1, retention);
              s.executeUpdate();
            }
          }
          return written;
        };
    String doing = "writing migration " + next.key();
    return terminal ? db.transaction(doing, work) : db.autoCommit(doing, work);
  }

  @Override
  public Optional<MigrationRecord> requestCancel(String migrationUid) {
    return db.autoCommit(
        "requesting the cancel of migration " + migrationUid,
        c -> {
          try (PreparedStatement s = db.prepare(c, sql.cancel)) {
            s.setString(1, migrationUid);
            try (ResultSet rs = s.executeQuery()) {
              if (rs.next()) {
                return Optional.of(Rows.record(rs, 0));
              }
            }
          }
          return find(c, migrationUid);
        });
  }

  @Override
  public Optional<MigrationRecord> find(String migrationUid) {
    return db.autoCommit("reading migration " + migrationUid, c -> find(c, migrationUid));
  }

  private Optional<MigrationRecord> find(Connection c, String uid) throws SQLException {
    return Refusals.find(db, sql, c, uid);
  }

  @Override
  public Optional<MigrationRecord> findByName(String namespace, String name) {
    return db.autoCommit(
        "reading migration " + namespace + "/" + name,
        c -> one(c, sql.findByName, namespace, name));
  }

  @Override
  public Optional<MigrationRecord> latestForVmi(String namespace, String vmiName) {
    return db.autoCommit(
        "reading the migrations of VMI " + namespace + "/" + vmiName,
        c -> one(c, sql.latestForVmi, namespace, vmiName));
  }

  @Override
  public List<MigrationRecord> list() {
    return db.autoCommit(
        "listing migrations",
        c -> {
          List<MigrationRecord> all = new ArrayList<>();
          try (PreparedStatement s = db.prepare(c, sql.list);
              ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              all.add(Rows.record(rs, 0));
            }
          }
          return all;
        });
  }

  private Optional<MigrationRecord> one(Connection c, String query, String... args)
      throws SQLException {
    try (PreparedStatement s = db.prepare(c, query)) {
      for (int i = 0; i < args.length; i++) {
        s.setString(i + 1, args[i]);
      }
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(Rows.record(rs, 0)) : Optional.empty();
      }
    }
  }

  /** Does nothing: the store holds no connection between calls, and the data source is yours. */
  @Override
  public void close() {}

  @Override
  public String toString() {
    return "JdbcMigrationStore[" + sql.list.substring(sql.list.indexOf(" FROM ") + 6) + "]";
  }

  private static long micros(Duration leaseDuration) {
    if (leaseDuration.isNegative() || leaseDuration.isZero()) {
      throw new IllegalArgumentException(
          "leaseDuration must be positive, but was " + leaseDuration);
    }
    try {
      return Math.max(1, leaseDuration.toNanos() / 1_000);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "leaseDuration must be at most 292 years, but was " + leaseDuration, e);
    }
  }

  static Instant instant(ResultSet rs, int column) throws SQLException {
    return rs.getObject(column, OffsetDateTime.class).toInstant();
  }

  /** Builds a {@link JdbcMigrationStore}; every setting has a default. */
  public static final class Builder {
    private final DataSource dataSource;
    private String tablePrefix = DEFAULT_TABLE_PREFIX;
    private int retention = DEFAULT_RETENTION;
    private Duration statementTimeout = DEFAULT_STATEMENT_TIMEOUT;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * The prefix of the store's tables, {@code lm_} by default: lower-case letters, digits and
     * underscores, not starting with a digit, at most 40 characters. Stores with different prefixes
     * in one database are independent.
     */
    public Builder tablePrefix(String prefix) {
      Objects.requireNonNull(prefix, "tablePrefix");
      if (!PREFIX.matcher(prefix).matches()) {
        throw new IllegalArgumentException(
            "tablePrefix must be lower-case letters, digits and underscores, not starting with a"
                + " digit, at most 40 characters, but was '"
                + prefix
                + "'");
      }
      this.tablePrefix = prefix;
      return this;
    }

    /** How many finished migrations to keep, newest first; 10,000 by default. */
    public Builder retention(int retention) {
      if (retention < 0) {
        throw new IllegalArgumentException("retention must not be negative, but was " + retention);
      }
      this.retention = retention;
      return this;
    }

    /**
     * The longest one statement may run, waits for locks included, in whole seconds (at least 1);
     * 10 seconds by default. A statement that takes longer fails with a {@code StoreException}.
     */
    public Builder statementTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "statementTimeout");
      if (timeout.toSeconds() < 1) {
        throw new IllegalArgumentException(
            "statementTimeout must be at least 1 second, but was " + timeout);
      }
      this.statementTimeout = timeout;
      return this;
    }

    /** Builds the store; it connects on first use, not here. */
    public JdbcMigrationStore build() {
      return new JdbcMigrationStore(this);
    }
  }
}
