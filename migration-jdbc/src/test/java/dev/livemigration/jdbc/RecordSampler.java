package dev.livemigration.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Samples, straight from the records table, the migrations that run (neither pending nor ended) and
 * those that hold a slot, per cluster and per source node, and keeps the peaks.
 */
final class RecordSampler implements AutoCloseable {
  final AtomicInteger samples = new AtomicInteger();
  final AtomicInteger maxCluster = new AtomicInteger();
  final AtomicInteger maxNode = new AtomicInteger();
  final AtomicInteger maxSlotsCluster = new AtomicInteger();
  final AtomicInteger maxSlotsNode = new AtomicInteger();

  /** The least lease any replica had left in any sample, in milliseconds. */
  final AtomicInteger minLeaseLeftMillis = new AtomicInteger(Integer.MAX_VALUE);

  volatile Exception failure;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final DataSource dataSource;
  private final String query;
  private final String leases;
  private final Thread thread;

  RecordSampler(DataSource dataSource, String prefix) {
    this.dataSource = dataSource;
    // One snapshot per statement: both counts from the same rows.
    this.query =
        "SELECT source_node, count(*) FILTER (WHERE NOT terminal AND phase <> 'PENDING'),"
            + " count(*) FILTER (WHERE holds_slot) FROM "
            + prefix
            + "records GROUP BY source_node";
    this.leases =
        "SELECT min(extract(epoch FROM expires_at - clock_timestamp()) * 1000)::integer FROM "
            + prefix
            + "replicas WHERE expires_at > clock_timestamp() - interval '1 minute'";
    this.thread = new Thread(this::run, "record-sampler");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      while (!stop.get()) {
        int cluster = 0;
        int slots = 0;
        try (ResultSet rs = s.executeQuery(query)) {
          while (rs.next()) {
            cluster += rs.getInt(2);
            slots += rs.getInt(3);
            maxNode.accumulateAndGet(rs.getInt(2), Math::max);
            maxSlotsNode.accumulateAndGet(rs.getInt(3), Math::max);
          }
        }
        try (ResultSet rs = s.executeQuery(leases)) {
          if (rs.next() && rs.getObject(1) != null) {
            minLeaseLeftMillis.accumulateAndGet(rs.getInt(1), Math::min);
          }
        }
        maxCluster.accumulateAndGet(cluster, Math::max);
        maxSlotsCluster.accumulateAndGet(slots, Math::max);
        samples.incrementAndGet();
        Thread.sleep(20);
      }
    } catch (SQLException e) {
      failure = e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    thread.join(10_000);
  }

  @Override
  public String toString() {
    return samples
        + " samples: at most "
        + maxCluster
        + " running in the cluster and "
        + maxNode
        + " from one node; at most "
        + maxSlotsCluster
        + " slots held in the cluster and "
        + maxSlotsNode
        + " on one node; the least lease left to a replica: "
        + minLeaseLeftMillis
        + " ms";
  }
}
