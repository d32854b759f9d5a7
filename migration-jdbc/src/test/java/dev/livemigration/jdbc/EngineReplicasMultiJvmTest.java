package dev.livemigration.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.spi.MigrationRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * Three engine JVMs ({@link ReplicaMain}) on one PostgreSQL store and one cluster inventory (a
 * table of the same database), about 1,000 random migrate, cancel, reconfigure and status
 * operations spread over them, while the test samples the records table: the limits hold
 * cluster-wide, every admitted migration ends exactly once, each migration's steps come from one
 * replica (or another after an adoption), and the inventory follows every successful migration.
 *
 * <p>Each replica reconfigures its own limits within [3, 5] per cluster and [1, 2] per node; a
 * claim applies the claiming replica's limits to the migrations of every replica, so the cluster
 * never holds more than the largest limit any replica may configure: 5 and 2.
 */
@ExtendWith(PostgreSql.class)
@DisplayName("Three engine JVMs on one PostgreSQL, 1,000 random operations")
class EngineReplicasMultiJvmTest {
  private static final Logger LOG = LoggerFactory.getLogger(EngineReplicasMultiJvmTest.class);
  static final int NODES = 6;
  static final int VMIS = 24;
  private static final int OPERATIONS = Integer.getInteger("replicas.operations", 1_000);
  private static final int MEAN_PAUSE_MILLIS = 60;
  private static final long LEASE_MILLIS = 3_000;
  private static final long SAMPLE_MILLIS = 150;
  private static final List<String> REPLICAS = List.of("replica-a", "replica-b", "replica-c");

  @Test
  @DisplayName("keep the limits, end every migration once, drive each from one replica")
  void randomOperations(PostgreSql.Server server, @TempDir Path logs) throws Exception {
    long started = System.nanoTime();
    String prefix = server.freshPrefix();
    DataSource dataSource = server.dataSource();
    JdbcMigrationStore store = JdbcMigrationStore.builder(dataSource).tablePrefix(prefix).build();
    store.list(); // creates the tables before the replicas race to
    TableInventory.create(dataSource, prefix, NODES, placements(VMIS, i -> 32 + 32 * (i % 4)));
    Map<String, String> initial = TableInventory.nodesOfVmis(dataSource, prefix);
    long seed = Long.getLong("replicas.seed", System.currentTimeMillis());
    LOG.info("Seed {} (rerun with -Dreplicas.seed={}), logs under {}", seed, seed, logs);

    RecordSampler sampler;
    try (Replicas replicas = new Replicas(server, prefix, logs, LEASE_MILLIS, SAMPLE_MILLIS)) {
      for (String replica : REPLICAS) {
        replicas.start(replica);
      }
      replicas.awaitReady();
      sampler = new RecordSampler(dataSource, prefix);
      int each = (OPERATIONS + REPLICAS.size() - 1) / REPLICAS.size();
      for (int i = 0; i < REPLICAS.size(); i++) {
        replicas.send(REPLICAS.get(i), "ops " + (seed + i) + " " + each + " " + MEAN_PAUSE_MILLIS);
      }
      for (String replica : REPLICAS) {
        Replicas.await(
            () -> replicas.has(replica, "OPS-DONE ") || !replicas.process(replica).isAlive(),
            240,
            () -> replica + " done; its log:\n" + replicas.log(replica));
        assertThat(replicas.process(replica).isAlive()).as(replicas.log(replica)).isTrue();
      }
      Replicas.await(
          () -> store.list().stream().allMatch(MigrationRecord::isTerminal),
          60,
          () -> "every migration ended: " + unended(store));
      sampler.close();
      replicas.closeAll(60);
      for (String replica : REPLICAS) {
        assertThat(replicas.process(replica).exitValue()).as(replicas.log(replica)).isZero();
      }
      check(replicas, store.list(), initial, TableInventory.nodesOfVmis(dataSource, prefix));
    }

    LOG.info("{}", sampler);
    assertThat(sampler.failure).as("sampling errors").isNull();
    assertThat(sampler.samples.get()).isGreaterThan(100);
    assertThat(sampler.maxCluster.get()).isBetween(2, ReplicaMain.MAX_PER_CLUSTER);
    assertThat(sampler.maxSlotsCluster.get()).isBetween(2, ReplicaMain.MAX_PER_CLUSTER);
    assertThat(sampler.maxNode.get()).isBetween(1, ReplicaMain.MAX_PER_NODE);
    assertThat(sampler.maxSlotsNode.get()).isBetween(1, ReplicaMain.MAX_PER_NODE);
    LOG.info("Took {} s", (System.nanoTime() - started) / 1_000_000_000);
  }

  private static void check(
      Replicas replicas,
      List<MigrationRecord> records,
      Map<String, String> initial,
      Map<String, String> finalNodes) {
    // What the replicas did.
    Map<String, Integer> totals = new TreeMap<>();
    for (String done : replicas.linesStarting("OPS-DONE ")) {
      LOG.info("{}", done);
      assertThat(done).as("every replica's own migrations ended").contains(" unended=0 ");
      String counts = done.substring(done.lastIndexOf('{') + 1, done.lastIndexOf('}'));
      for (String count : counts.split(", ")) {
        String[] kv = count.split("=");
        totals.merge(kv[0], Integer.parseInt(kv[1]), Integer::sum);
      }
    }
    assertThat(replicas.linesStarting("ERROR")).as("operations that threw").isEmpty();
    assertThat(replicas.linesStarting("SESSION-")).as("one call at a time per session").isEmpty();
    int operations = totals.values().stream().mapToInt(Integer::intValue).sum();
    assertThat(operations).isGreaterThanOrEqualTo(OPERATIONS);

    // Every admitted migration has its record, and every record was admitted by an operation.
    Map<String, String> admittedBy = new HashMap<>();
    for (String replica : replicas.names()) {
      for (String line : replicas.lines(replica)) {
        if (line.startsWith("OP migrate ") && line.contains(" ADMITTED ")) {
          admittedBy.put(line.substring(line.lastIndexOf(' ') + 1), replica);
        }
      }
    }
    assertThat(records).allMatch(MigrationRecord::isTerminal);
    assertThat(records.stream().map(MigrationRecord::uid).collect(Collectors.toSet()))
        .isEqualTo(admittedBy.keySet());

    // Every migration ends exactly once, as its record says; one Queued, from its admitter.
    Map<String, List<Replicas.Event>> byUid =
        replicas.events().stream().collect(Collectors.groupingBy(Replicas.Event::uid));
    List<String> problems = new ArrayList<>();
    Map<String, Integer> outcomes = new TreeMap<>();
    int adoptions = 0;
    for (MigrationRecord record : records) {
      List<Replicas.Event> events = byUid.getOrDefault(record.uid(), List.of());
      List<Replicas.Event> ends = events.stream().filter(Replicas.Event::isEnd).toList();
      if (ends.size() != 1) {
        problems.add(record.uid() + " ended " + ends.size() + " times: " + ends);
        continue;
      }
      String expected = record.phase() == MigrationPhase.SUCCEEDED ? "Succeeded" : "Failed";
      if (!ends.get(0).kind().equals(expected)) {
        problems.add(record.uid() + " is " + record.phase() + " but its end event is " + ends);
      }
      List<Replicas.Event> queued = events.stream().filter(e -> e.kind().equals("Queued")).toList();
      if (queued.size() != 1 || !queued.get(0).replica().equals(admittedBy.get(record.uid()))) {
        problems.add(record.uid() + " admitted by " + admittedBy.get(record.uid()) + ": " + queued);
      }
      problems.addAll(oneDriverAtATime(record.uid(), events));
      adoptions += (int) events.stream().filter(e -> e.kind().equals("Adopted")).count();
      outcomes.merge(
          expected + record.state().failureReason().map(r -> " (" + shortly(r) + ")").orElse(""),
          1,
          Integer::sum);
    }
    LOG.info(
        "Operations {}; {} migrations admitted, {} adoptions; outcomes {}",
        totals,
        records.size(),
        adoptions,
        outcomes);
    assertThat(problems).as("migrations whose events break the rules").isEmpty();
    assertThat(outcomes.keySet()).anyMatch(o -> o.startsWith("Succeeded"));
    assertThat(outcomes.keySet()).anyMatch(o -> o.startsWith("Failed (cancelled on request"));

    // Each VMI's migrations, in admission order, start where the previous successful one put it,
    // and the inventory has it where the last successful one put it.
    Map<String, List<MigrationRecord>> byVmi =
        records.stream()
            .sorted(Comparator.comparingLong(MigrationRecord::sequence))
            .collect(Collectors.groupingBy(r -> r.request().vmiName()));
    for (Map.Entry<String, String> vmi : initial.entrySet()) {
      String node = vmi.getValue();
      for (MigrationRecord record : byVmi.getOrDefault(vmi.getKey(), List.of())) {
        assertThat(record.sourceNode())
            .as(record.uid() + " of " + vmi.getKey() + " starts where the VMI is")
            .isEqualTo(node);
        if (record.phase() == MigrationPhase.SUCCEEDED) {
          node = record.state().targetNode().orElseThrow();
        }
      }
      assertThat(finalNodes.get(vmi.getKey())).as("inventory: " + vmi.getKey()).isEqualTo(node);
    }
  }

  private static List<String> unended(JdbcMigrationStore store) {
    return store.list().stream()
        .filter(r -> !r.isTerminal())
        .map(r -> r.uid() + " " + r.phase() + " " + r.owner())
        .toList();
  }

  /**
   * A migration's events after Queued (which the admitter publishes) come from one replica, or from
   * another one after it published an Adopted that names the previous one.
   */
  static List<String> oneDriverAtATime(String uid, List<Replicas.Event> events) {
    List<Replicas.Event> driving =
        events.stream()
            .filter(e -> !e.kind().equals("Queued"))
            .sorted(Comparator.comparing(Replicas.Event::at))
            .toList();
    List<String> problems = new ArrayList<>();
    String driver = null;
    for (Replicas.Event event : driving) {
      if (!event.replica().equals(event.log())) {
        problems.add(uid + ": " + event + " printed by another replica than it names");
      }
      if (driver != null && !event.replica().equals(driver)) {
        if (!event.kind().equals("Adopted") || !event.extra().equals(driver)) {
          problems.add(uid + ": " + event + " after events of " + driver + " without an adoption");
        }
      }
      driver = event.replica();
    }
    return problems;
  }

  /** VMIs {@code vmi-0} … on nodes {@code node-(i % NODES)}, with memory in MiB by index. */
  static Map<String, TableInventory.Placement> placements(
      int count, java.util.function.IntUnaryOperator memoryMib) {
    Map<String, TableInventory.Placement> placements = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      placements.put(
          "vmi-" + i, new TableInventory.Placement("node-" + (i % NODES), memoryMib.applyAsInt(i)));
    }
    return placements;
  }

  private static String shortly(String reason) {
    return reason.length() > 40 ? reason.substring(0, 40) : reason;
  }
}
