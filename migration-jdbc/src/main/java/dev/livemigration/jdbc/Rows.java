package dev.livemigration.jdbc;

import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.spi.MigrationRecord;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Records to and from the columns of the records table ({@link Sql#COLUMNS}). */
final class Rows {
  private Rows() {}

  /** The JSON columns of a record. */
  record Json(String request, String vmi, String configuration, String state, String resumeData) {}

  static Json json(MigrationRecord record) {
    return new Json(
        RecordCodec.json(RecordCodec.request(record.request())),
        RecordCodec.json(RecordCodec.vmi(record.vmi())),
        RecordCodec.json(RecordCodec.configuration(record.configuration())),
        RecordCodec.json(RecordCodec.state(record.state())),
        RecordCodec.json(RecordCodec.strings(record.resumeData())));
  }

  /** Binds the parameters of {@link Sql#insert} for a newly admitted record. */
  static void bindInsert(PreparedStatement s, MigrationRecord record) throws SQLException {
    Json json = json(record);
    String ns = record.request().namespace();
    String vmiName = record.request().vmiName();
    int i = 0;
    s.setString(++i, ns);
    s.setString(++i, record.request().name());
    s.setString(++i, record.uid());
    s.setString(++i, record.uid());
    s.setString(++i, ns);
    s.setString(++i, record.request().name());
    s.setString(++i, vmiName);
    s.setString(++i, record.sourceNode());
    s.setInt(++i, record.priority());
    s.setString(++i, record.method().name());
    s.setString(++i, json.request());
    s.setString(++i, json.vmi());
    s.setString(++i, json.configuration());
    s.setString(++i, json.state());
    s.setString(++i, record.uid());
    s.setString(++i, ns);
    s.setString(++i, vmiName);
  }

  /** Reads the record whose {@link Sql#COLUMNS} start after column {@code offset}. */
  static MigrationRecord record(ResultSet rs, int offset) throws SQLException {
    int i = offset;
    String uid = rs.getString(++i);
    long seq = rs.getLong(++i);
    long version = rs.getLong(++i);
    String owner = rs.getString(++i);
    long token = rs.getLong(++i);
    boolean cancelRequested = rs.getBoolean(++i);
    int priority = rs.getInt(++i);
    MigrationMethod method = MigrationMethod.valueOf(rs.getString(++i));
    MigrationRecord record =
        new MigrationRecord(
            RecordCodec.request(RecordCodec.parse(rs.getString(++i))),
            RecordCodec.vmi(RecordCodec.parse(rs.getString(++i))),
            method,
            RecordCodec.configuration(RecordCodec.parse(rs.getString(++i))),
            RecordCodec.state(RecordCodec.parse(rs.getString(++i))),
            priority,
            seq,
            version,
            owner,
            token,
            cancelRequested,
            RecordCodec.strings(RecordCodec.parse(rs.getString(++i))));
    if (!record.uid().equals(uid)) {
      throw new IllegalStateException(
          "the store's row " + uid + " holds the state of migration " + record.uid());
    }
    return record;
  }
}
