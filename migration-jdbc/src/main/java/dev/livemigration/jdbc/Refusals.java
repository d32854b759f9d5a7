package dev.livemigration.jdbc;

import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationRejectedException.Reason;
import dev.livemigration.api.spi.FencedException;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.ReplicaLease;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Why the store refused a step, in words: read after the refusal, in the same transaction, so that
 * the common path costs no extra round trip.
 */
final class Refusals {
  private final Database db;
  private final Sql sql;

  Refusals(Database db, Sql sql) {
    this.db = db;
    this.sql = sql;
  }

  static Optional<MigrationRecord> find(Database db, Sql sql, Connection c, String uid)
      throws SQLException {
    try (PreparedStatement s = db.prepare(c, sql.find)) {
      s.setString(1, uid);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(Rows.record(rs, 0)) : Optional.empty();
      }
    }
  }

  static MigrationRejectedException duplicateName(MigrationRecord record, String other) {
    return new MigrationRejectedException(
        Reason.DUPLICATE_NAME,
        "migration " + record.key() + " is already in progress (" + other + ")");
  }

  FencedException refused(Connection c, ReplicaLease lease, MigrationRecord next)
      throws SQLException {
    Optional<MigrationRecord> found = find(db, sql, c, next.uid());
    if (found.isEmpty()) {
      return new FencedException("migration " + next.uid() + " is not in the store");
    }
    MigrationRecord current = found.get();
    if (current.isTerminal()) {
      return FencedException.ended(current);
    }
    if (current.fencingToken() != next.fencingToken() || !lease.replica().equals(current.owner())) {
      return FencedException.notOwner(current, lease, next);
    }
    if (current.version() != next.version()) {
      return FencedException.staleVersion(current, next);
    }
    return new FencedException(
        "migration "
            + current.key()
            + " is held by an earlier run of replica "
            + lease.replica()
            + ", not by incarnation "
            + lease.incarnation());
  }

  FencedException invalidLease(Connection c, ReplicaLease lease) throws SQLException {
    try (PreparedStatement s = db.prepare(c, sql.leaseState)) {
      s.setString(1, lease.replica());
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next() || rs.getLong(1) != lease.incarnation()) {
          return new FencedException(
              "replica "
                  + lease.replica()
                  + " (incarnation "
                  + lease.incarnation()
                  + ") is not a member of the store: a newer run of it joined, or it never did");
        }
        return new FencedException(
            "the lease of replica "
                + lease.replica()
                + " expired at "
                + JdbcMigrationStore.instant(rs, 2));
      }
    }
  }
}
