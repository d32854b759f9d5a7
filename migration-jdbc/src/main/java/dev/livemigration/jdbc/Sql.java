package dev.livemigration.jdbc;

/**
 * The statements of the store, in PostgreSQL's dialect, with the store's table prefix. Lease checks
 * and expiries use {@code clock_timestamp()}: the database's clock, read when the statement needs
 * it, never a replica's.
 */
final class Sql {
  /** The columns a {@link dev.livemigration.api.spi.MigrationRecord} is read from, in order. */
  static final String COLUMNS =
      "uid, seq, version, owner, token, cancel_requested, priority, method,"
          + " request::text, vmi::text, configuration::text, state::text, resume_data::text";

  final String join;
  final String renew;
  final String leave;
  final String vmiSlot;
  final String lockVmi;
  final String activeName;
  final String insert;
  final String queueLock;
  final String claimBounds;
  final String claim;
  final String adopt;
  final String write;
  final String retain;
  final String cancel;
  final String find;
  final String findByName;
  final String latestForVmi;
  final String list;
  final String leaseState;

  Sql(Schema s) {
    String records = s.t("records");
    String replicas = s.t("replicas");
    String vmis = s.t("vmis");
    String tokens = "nextval('" + s.t("tokens") + "')";
    String valid =
        "(SELECT EXISTS (SELECT 1 FROM "
            + replicas
            + " WHERE name = ? AND incarnation = ? AND expires_at > clock_timestamp()))";
    String returning =
        " RETURNING r.uid, r.seq, r.version, r.owner, r.token, r.cancel_requested, r.priority,"
            + " r.method, r.request::text, r.vmi::text, r.configuration::text, r.state::text,"
            + " r.resume_data::text";
    String outcome = " SELECT l.ok, u.* FROM lease l LEFT JOIN u ON true";
    join =
        "INSERT INTO "
            + replicas
            + " AS r (name, incarnation, expires_at)"
            + " VALUES (?, 1, clock_timestamp() + ? * interval '1 microsecond')"
            + " ON CONFLICT (name) DO UPDATE"
            + " SET incarnation = r.incarnation + 1, expires_at = excluded.expires_at"
            + " RETURNING incarnation, expires_at";
    renew =
        "UPDATE "
            + replicas
            + " SET expires_at = clock_timestamp() + ? * interval '1 microsecond'"
            + " WHERE name = ? AND incarnation = ? AND expires_at > clock_timestamp()"
            + " RETURNING expires_at";
    leave =
        "UPDATE "
            + replicas
            + " SET expires_at = least(expires_at, clock_timestamp())"
            + " WHERE name = ? AND incarnation = ?";
    leaseState =
        "SELECT incarnation, expires_at, expires_at > clock_timestamp() FROM "
            + replicas
            + " WHERE name = ?";
    vmiSlot = "SELECT generation, active_uid FROM " + vmis + " WHERE namespace = ? AND name = ?";
    // Locks the VMI's row (creating it at generation 0) and returns its latest values.
    lockVmi =
        "INSERT INTO "
            + vmis
            + " AS v (namespace, name, generation) VALUES (?, ?, 0)"
            + " ON CONFLICT (namespace, name) DO UPDATE SET generation = v.generation"
            + " RETURNING generation, active_uid";
    activeName = "SELECT name FROM " + records + " WHERE uid = ?";
    insert =
        "WITH dup AS (SELECT uid FROM "
            + records
            + " WHERE namespace = ? AND name = ? AND NOT terminal LIMIT 1),"
            + " same AS (SELECT uid FROM "
            + records
            + " WHERE uid = ?),"
            + " ins AS (INSERT INTO "
            + records
            + " (uid, seq, namespace, name, vmi_name, source_node, priority, phase, queued,"
            + " holds_slot, terminal, version, owner, owner_incarnation, token, cancel_requested,"
            + " method, request, vmi, configuration, state, resume_data)"
            + " SELECT ?, nextval('"
            + s.t("admissions")
            + "'), ?, ?, ?, ?, ?, 'PENDING', true, false, false, 1, NULL, 0, 0, false,"
            + " ?, ?::jsonb, ?::jsonb, ?::jsonb, ?::jsonb, '{}'::jsonb"
            + " WHERE NOT EXISTS (SELECT 1 FROM dup) AND NOT EXISTS (SELECT 1 FROM same)"
            + " RETURNING seq),"
            + " upd AS (UPDATE "
            + vmis
            + " SET generation = generation + 1, active_uid = ?"
            + " WHERE namespace = ? AND name = ? AND EXISTS (SELECT 1 FROM ins))"
            + " SELECT (SELECT uid FROM dup), (SELECT seq FROM ins), EXISTS (SELECT 1 FROM same)";
    queueLock = "SELECT id FROM " + s.t("queue_lock") + " WHERE id = 1 FOR UPDATE";
    // Parameters: lock wait, idle-in-transaction bound, in milliseconds; for this transaction.
    claimBounds =
        "SELECT set_config('lock_timeout', ?, true),"
            + " set_config('idle_in_transaction_session_timeout', ?, true)";
    // Parameters: lease (2), max, max, perCluster, perNode, owner, incarnation.
    claim =
        "WITH lease AS (SELECT "
            + valid
            + " AS ok),"
            + " cancelled AS (SELECT uid FROM "
            + records
            + " WHERE queued AND cancel_requested AND (SELECT ok FROM lease) ORDER BY seq LIMIT ?),"
            + " busy AS (SELECT source_node, count(*) AS n FROM "
            + records
            + " WHERE holds_slot GROUP BY source_node),"
            + " room AS (SELECT greatest(0, least(? - (SELECT count(*) FROM cancelled),"
            + " ? - (SELECT coalesce(sum(n), 0) FROM busy))) AS n),"
            + " ranked AS (SELECT q.uid, q.priority, q.seq, row_number() OVER"
            + " (PARTITION BY q.source_node ORDER BY q.priority DESC, q.seq) + coalesce(b.n, 0) AS nth"
            + " FROM "
            + records
            + " q LEFT JOIN busy b ON b.source_node = q.source_node"
            // A one-time filter: with no room (the cluster full) the queue is not ranked at all.
            + " WHERE (SELECT n FROM room) > 0 AND q.queued AND NOT q.cancel_requested"
            + " AND (SELECT ok FROM lease)),"
            + " started AS (SELECT uid FROM ranked WHERE nth <= ?"
            + " ORDER BY priority DESC, seq LIMIT (SELECT n FROM room)),"
            + " u AS (UPDATE "
            + records
            + " r SET owner = ?, owner_incarnation = ?, token = "
            + tokens
            + ", version = r.version + 1, queued = false,"
            + " holds_slot = r.uid IN (SELECT uid FROM started),"
            + " phase = CASE WHEN r.uid IN (SELECT uid FROM started) THEN 'SCHEDULING'"
            + " ELSE r.phase END,"
            + " state = CASE WHEN r.uid IN (SELECT uid FROM started)"
            + " THEN jsonb_set(r.state, '{phase}', '\"SCHEDULING\"') ELSE r.state END"
            + " WHERE r.uid IN (SELECT uid FROM cancelled UNION ALL SELECT uid FROM started)"
            + returning
            + ")"
            + outcome;
    // Parameters: lease (2), max, owner, incarnation.
    adopt =
        "WITH lease AS (SELECT "
            + valid
            + " AS ok),"
            + " gone AS (SELECT x.uid, x.token, x.owner AS previous_owner FROM "
            + records
            + " x LEFT JOIN "
            + replicas
            + " o ON o.name = x.owner"
            + " WHERE x.owner IS NOT NULL AND NOT x.terminal AND (SELECT ok FROM lease)"
            + " AND (o.name IS NULL OR o.incarnation <> x.owner_incarnation"
            + " OR o.expires_at <= clock_timestamp()) ORDER BY x.seq LIMIT ?),"
            + " u AS (UPDATE "
            + records
            + " r SET owner = ?, owner_incarnation = ?, token = "
            + tokens
            + ", version = r.version + 1"
            + " FROM gone g WHERE r.uid = g.uid AND r.token = g.token"
            + returning
            + ", g.previous_owner)"
            + outcome;
    // Parameters: lease (2), phase, terminal, terminal, priority, method, request, vmi,
    // configuration, state, resume data, uid, version, token, owner, incarnation, terminal.
    write =
        "WITH lease AS (SELECT "
            + valid
            + " AS ok),"
            + " u AS (UPDATE "
            + records
            + " r SET version = r.version + 1, phase = ?, terminal = ?,"
            + " holds_slot = r.holds_slot AND NOT ?, priority = ?, method = ?,"
            + " request = ?::jsonb, vmi = ?::jsonb, configuration = ?::jsonb, state = ?::jsonb,"
            + " resume_data = ?::jsonb"
            + " WHERE r.uid = ? AND r.version = ? AND r.token = ? AND r.owner = ?"
            + " AND r.owner_incarnation = ? AND NOT r.terminal AND (SELECT ok FROM lease)"
            + returning
            + ", r.namespace, r.vmi_name),"
            + " v AS (UPDATE "
            + vmis
            + " SET generation = generation + 1, active_uid = NULL"
            + " WHERE ? AND (namespace, name) IN (SELECT namespace, vmi_name FROM u))"
            + " SELECT l.ok, u.* FROM lease l LEFT JOIN u ON true";
    retain =
        "DELETE FROM "
            + records
            + " WHERE uid IN (SELECT uid FROM "
            + records
            + " WHERE terminal AND seq <= (SELECT seq FROM "
            + records
            + " WHERE terminal ORDER BY seq DESC OFFSET ? LIMIT 1) FOR UPDATE SKIP LOCKED)";
    cancel =
        "UPDATE "
            + records
            + " r SET cancel_requested = true WHERE uid = ? AND NOT terminal"
            + returning;
    find = "SELECT " + COLUMNS + " FROM " + records + " WHERE uid = ?";
    findByName =
        "SELECT "
            + COLUMNS
            + " FROM "
            + records
            + " WHERE namespace = ? AND name = ? ORDER BY seq DESC LIMIT 1";
    latestForVmi =
        "SELECT "
            + COLUMNS
            + " FROM "
            + records
            + " WHERE namespace = ? AND vmi_name = ? ORDER BY seq DESC LIMIT 1";
    list = "SELECT " + COLUMNS + " FROM " + records + " ORDER BY seq";
  }
}
