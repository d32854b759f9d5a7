package dev.livemigration.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.spi.QueueLimits;
import dev.livemigration.api.spi.ReplicaLease;
import dev.livemigration.api.spi.StoreException;
import dev.livemigration.api.spi.VmiSlot;
import dev.livemigration.testkit.tck.StoreRecords;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

@ExtendWith(PostgreSql.class)
@DisplayName("JdbcMigrationStore")
class JdbcMigrationStoreTest {

  @Test
  @DisplayName("creates its tables once, also when several stores start at once")
  void createsTablesOnce(PostgreSql.Server server) throws Exception {
    String prefix = server.freshPrefix();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<VmiSlot>> slots = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      slots.add(
          pool.submit(
              () -> {
                start.await();
                return JdbcMigrationStore.builder(server.dataSource())
                    .tablePrefix(prefix)
                    .build()
                    .vmiSlot("default", "vmi-a");
              }));
    }
    start.countDown();
    for (Future<VmiSlot> slot : slots) {
      assertThat(slot.get(60, TimeUnit.SECONDS)).isEqualTo(VmiSlot.NEW);
    }
    pool.shutdown();
    assertThat(query(server, "SELECT count(*), max(version) FROM " + prefix + "schema"))
        .isEqualTo("1,1");
  }

  @Test
  @DisplayName("refuses tables of a newer layout, saying so")
  void newerLayout(PostgreSql.Server server) throws Exception {
    String prefix = server.freshPrefix();
    JdbcMigrationStore.builder(server.dataSource()).tablePrefix(prefix).build().list();
    execute(server, "UPDATE " + prefix + "schema SET version = 99");
    JdbcMigrationStore later =
        JdbcMigrationStore.builder(server.dataSource()).tablePrefix(prefix).build();
    assertThatThrownBy(later::list)
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("layout version 99, newer than this library's 1");
  }

  @Test
  @DisplayName("ends leases by the database's clock")
  void leasesOnDatabaseClock(PostgreSql.Server server) throws Exception {
    JdbcMigrationStore store =
        JdbcMigrationStore.builder(server.dataSource()).tablePrefix(server.freshPrefix()).build();
    Instant before = Instant.parse(query(server, "SELECT to_json(clock_timestamp())#>>'{}'"));
    ReplicaLease lease = store.join("r1", Duration.ofSeconds(30));
    Instant after = Instant.parse(query(server, "SELECT to_json(clock_timestamp())#>>'{}'"));
    assertThat(lease.expiresAt())
        .isBetween(before.plusSeconds(30), after.plusSeconds(30))
        .isEqualTo(lease.expiresAt().truncatedTo(java.time.temporal.ChronoUnit.MICROS));
  }

  @Test
  @DisplayName("says it cannot reach the database, with the driver's exception as the cause")
  void unreachable() throws Exception {
    PGSimpleDataSource nowhere = new PGSimpleDataSource();
    nowhere.setServerNames(new String[] {"127.0.0.1"});
    nowhere.setPortNumbers(new int[] {closedPort()});
    nowhere.setConnectTimeout(5);
    JdbcMigrationStore store = JdbcMigrationStore.create(nowhere);
    assertThatThrownBy(() -> store.join("r1", Duration.ofSeconds(5)))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("cannot reach the migration store at jdbc:postgresql://127.0.0.1:")
        .hasMessageContaining("joining as replica r1")
        .hasCauseInstanceOf(SQLException.class);
  }

  @Test
  @DisplayName("gives up on a statement after its timeout, locks included")
  void statementTimeout(PostgreSql.Server server) throws Exception {
    String prefix = server.freshPrefix();
    JdbcMigrationStore store =
        JdbcMigrationStore.builder(server.dataSource())
            .tablePrefix(prefix)
            .statementTimeout(Duration.ofSeconds(1))
            .build();
    ReplicaLease lease = store.join("r1", Duration.ofMinutes(1));
    StoreRecords.admit(store, "job", "vmi-a", "n1", 0);
    try (Connection holder = server.dataSource().getConnection()) {
      holder.setAutoCommit(false);
      try (Statement s = holder.createStatement()) {
        s.execute("SELECT id FROM " + prefix + "queue_lock FOR UPDATE");
      }
      long started = System.nanoTime();
      assertThatThrownBy(() -> store.claim(lease, new QueueLimits(5, 2), 1))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("no answer within 1 s while claiming")
          .hasCauseInstanceOf(SQLException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
      holder.rollback();
    }
    assertThat(store.claim(lease, new QueueLimits(5, 2), 1)).hasSize(1);
  }

  @Test
  @DisplayName("checks its settings, naming the one that is wrong")
  void builderChecks() {
    PGSimpleDataSource any = new PGSimpleDataSource();
    assertThatThrownBy(() -> JdbcMigrationStore.builder(any).tablePrefix("Lm-"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tablePrefix")
        .hasMessageContaining("'Lm-'");
    assertThatThrownBy(() -> JdbcMigrationStore.builder(any).retention(-1))
        .hasMessage("retention must not be negative, but was -1");
    assertThatThrownBy(() -> JdbcMigrationStore.builder(any).statementTimeout(Duration.ZERO))
        .hasMessageContaining("statementTimeout must be at least 1 second");
    assertThat(JdbcMigrationStore.create(any).id()).isEqualTo("jdbc");
  }

  private static int closedPort() throws Exception {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void execute(PostgreSql.Server server, String sql) throws SQLException {
    try (Connection c = server.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static String query(PostgreSql.Server server, String sql) throws SQLException {
    try (Connection c = server.dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      List<String> values = new ArrayList<>();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        values.add(rs.getString(i));
      }
      return String.join(",", values);
    }
  }

  @Test
  @DisplayName(
      "a claim gives up on a queue locked by someone else within seconds, and claims later")
  void claimBehindALock(PostgreSql.Server server) throws Exception {
    String prefix = server.freshPrefix();
    JdbcMigrationStore store =
        JdbcMigrationStore.builder(server.dataSource()).tablePrefix(prefix).build();
    ReplicaLease lease = store.join("r1", Duration.ofMinutes(1));
    StoreRecords.admit(store, "job", "vmi-a", "n1", 0);
    QueueLimits limits = new QueueLimits(5, 2);
    try (Connection holder = server.dataSource().getConnection()) {
      holder.setAutoCommit(false);
      try (Statement lock = holder.createStatement()) {
        lock.executeQuery("SELECT id FROM " + prefix + "queue_lock WHERE id = 1 FOR UPDATE")
            .close();
      }
      long started = System.nanoTime();

      assertThat(store.claim(lease, limits, 10)).isEmpty();

      long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      // The lock wait is 2 s, well below the 10 s statement timeout it used to wait for.
      assertThat(waitedMillis).isLessThan(8_000);
      holder.rollback();
    }
    assertThat(store.claim(lease, limits, 10)).hasSize(1);
  }
}
