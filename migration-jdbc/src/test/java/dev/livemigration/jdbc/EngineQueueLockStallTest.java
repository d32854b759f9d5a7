package dev.livemigration.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.spi.MigrationRecord;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica paused (SIGSTOP, a long GC pause) inside a claim holds the store's queue lock for as
 * long as it is paused. Simulated here by the test holding that lock, as the paused replica's
 * session would, for longer than the lease, while three engine JVMs drive migrations that need no
 * claim: the migrations already running should go on and succeed, and no replica should lose its
 * lease.
 */
@ExtendWith(PostgreSql.class)
@DisplayName("Engine replica JVMs while the queue lock is held past the lease")
class EngineQueueLockStallTest {
  private static final Logger LOG = LoggerFactory.getLogger(EngineQueueLockStallTest.class);
  private static final long LEASE_MILLIS = 2_000;
  private static final List<String> REPLICAS = List.of("replica-a", "replica-b", "replica-c");

  @Test
  @DisplayName("running migrations go on and no replica loses its lease")
  void queueLockHeld(PostgreSql.Server server, @TempDir Path logs) throws Exception {
    String prefix = server.freshPrefix();
    DataSource dataSource = server.dataSource();
    JdbcMigrationStore store = JdbcMigrationStore.builder(dataSource).tablePrefix(prefix).build();
    store.list();
    TableInventory.create(
        dataSource,
        prefix,
        EngineReplicasMultiJvmTest.NODES,
        EngineReplicasMultiJvmTest.placements(12, i -> 128));
    try (Replicas replicas = new Replicas(server, prefix, logs, LEASE_MILLIS, 150)) {
      for (String replica : REPLICAS) {
        replicas.start(replica);
      }
      replicas.awaitReady();
      replicas.send("replica-c", "configure 5 2 24");
      for (int i = 0; i < 3; i++) {
        replicas.send("replica-c", "migrate slow-" + i + " vmi-" + i);
      }
      Replicas.await(
          () -> store.list().stream().filter(r -> r.phase() == MigrationPhase.RUNNING).count() >= 3,
          60,
          () -> "three migrations running:\n" + replicas.log("replica-c"));

      // The session of a replica paused inside a claim: it holds the queue's row lock.
      try (Connection paused = dataSource.getConnection()) {
        paused.setAutoCommit(false);
        try (Statement s = paused.createStatement()) {
          s.executeQuery("SELECT id FROM " + prefix + "queue_lock WHERE id = 1 FOR UPDATE").close();
        }
        Thread.sleep(LEASE_MILLIS + 3_000);
        paused.rollback();
      }

      Replicas.await(
          () -> store.list().stream().allMatch(MigrationRecord::isTerminal), 60, "all ended");
      replicas.closeAll(60);
      Map<String, String> outcomes = new TreeMap<>();
      for (MigrationRecord r : store.list()) {
        outcomes.put(r.request().name(), r.phase() + " " + r.state().failureReason().orElse(""));
      }
      List<String> lost =
          REPLICAS.stream()
              .flatMap(r -> replicas.stderr(r).lines())
              .filter(l -> l.contains("lost its lease") || l.contains("no longer driven"))
              .collect(Collectors.toList());
      LOG.info("Outcomes {}; lease losses {}", outcomes, lost);
      assertThat(lost).as("replicas that lost their lease or a migration").isEmpty();
      assertThat(store.list()).allMatch(r -> r.phase() == MigrationPhase.SUCCEEDED);
      assertThat(replicas.events()).noneMatch(e -> e.kind().equals("Adopted"));
    }
  }
}
