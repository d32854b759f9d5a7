package dev.livemigration.examples.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.Node;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.core.ManualScheduler;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.core.store.InMemoryMigrationStore;
import dev.livemigration.examples.StoreDataSources;
import dev.livemigration.jdbc.JdbcMigrationStore;
import dev.livemigration.testkit.InMemoryInventory;
import dev.livemigration.testkit.model.GuestProfile;
import dev.livemigration.testkit.model.ModelBackend;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * Submits many migrations across many nodes to several engine replicas sharing one store, in
 * virtual time on the model backend, and reports wall time, peak concurrency per cluster and per
 * node, store round trips and bytes per migration and admission latency: first on an in-memory
 * store, then, given a PostgreSQL URL, on the JDBC store, with the ratio of the two.
 *
 * <p>Run: {@code mvn -q -pl examples exec:java
 * -Dexec.mainClass=dev.livemigration.examples.bench.EngineBenchmark [-Dexec.args="10000 1000
 * --replicas 3 --store jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres"]}
 */
public final class EngineBenchmark {
  private EngineBenchmark() {}

  /** The figures of one run. */
  private record Result(
      String store,
      int migrations,
      long succeeded,
      double wallSeconds,
      Duration virtual,
      int peakCluster,
      int peakNode,
      double roundTripsPerMigration,
      long bytesPerMigration,
      double admitP50Micros,
      double admitP99Micros) {}

  /** Runs the benchmark; arguments: migrations (10000), nodes (1000), --replicas, --store. */
  public static void main(String[] args) throws SQLException {
    List<String> positional = new ArrayList<>();
    int replicas = 3;
    String url = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--replicas" -> replicas = Integer.parseInt(args[++i]);
        case "--store" -> url = args[++i];
        default -> positional.add(args[i]);
      }
    }
    int migrations = positional.size() > 0 ? Integer.parseInt(positional.get(0)) : 10_000;
    int nodes = positional.size() > 1 ? Integer.parseInt(positional.get(1)) : 1_000;

    ManualScheduler memoryTime = new ManualScheduler();
    Result memory =
        run(
            "in-memory",
            new InMemoryMigrationStore(memoryTime::now, migrations),
            memoryTime,
            () -> -1,
            migrations,
            nodes,
            replicas);
    print(memory, replicas);
    if (url != null) {
      HikariDataSource dataSource = StoreDataSources.pool(url, 4);
      String prefix = "lm_bench_" + Long.toString(System.nanoTime(), 36) + "_";
      JdbcMigrationStore jdbc =
          JdbcMigrationStore.builder(dataSource).tablePrefix(prefix).retention(migrations).build();
      Result database =
          run(
              "jdbc",
              jdbc,
              new ManualScheduler(),
              () -> tableBytes(dataSource, prefix),
              migrations,
              nodes,
              replicas);
      print(database, replicas);
      System.out.printf(
          "jdbc / in-memory      wall %.1fx, round trips %.2fx, admission p50 %.1fx, p99 %.1fx%n",
          database.wallSeconds() / memory.wallSeconds(),
          database.roundTripsPerMigration() / memory.roundTripsPerMigration(),
          database.admitP50Micros() / memory.admitP50Micros(),
          database.admitP99Micros() / memory.admitP99Micros());
      dropTables(dataSource, prefix);
      dataSource.close();
    }
  }

  private interface Bytes {
    long measure() throws SQLException;
  }

  private static Result run(
      String name,
      MigrationStore store,
      ManualScheduler time,
      Bytes bytes,
      int migrations,
      int nodes,
      int replicas)
      throws SQLException {
    InMemoryInventory inventory = new InMemoryInventory();
    for (int n = 0; n < nodes; n++) {
      inventory.add(Node.builder().name(nodeName(n)).address("127.0.0.1").build());
    }
    for (int i = 0; i < migrations; i++) {
      inventory.add(
          VirtualMachineInstance.builder()
              .name("vmi-" + i)
              .nodeName(nodeName(i * nodes / migrations))
              .memory(Quantity.ofGibibytes(1 + i % 4))
              .build());
    }
    ConcurrencyProbe probe = new ConcurrencyProbe();
    LongAdder calls = new LongAdder();
    MigrationStore counted = new CountingStore(store, calls);
    MigrationConfiguration configuration = MigrationConfiguration.defaults();
    ModelBackend backend =
        new ModelBackend(time, vmi -> new GuestProfile(8L << 20, vmi.memory().bytes() / 8));
    List<MigrationEngine> engines = new ArrayList<>();
    for (int r = 0; r < replicas; r++) {
      engines.add(
          MigrationEngines.builder()
              .configuration(configuration)
              .backend(backend)
              .inventory(inventory)
              .scheduler(time)
              .store(counted)
              .replica("replica-" + r)
              .listener(probe)
              .build());
    }
    long bytesBefore = bytes.measure();
    long callsBefore = calls.sum();
    long start = System.nanoTime();
    long[] admission = new long[migrations];
    List<MigrationHandle> handles = new ArrayList<>(migrations);
    for (int i = 0; i < migrations; i++) {
      long before = System.nanoTime();
      handles.add(
          engines
              .get(i % replicas)
              .migrate(VirtualMachineInstanceMigration.of("job-" + i, "vmi-" + i)));
      admission[i] = System.nanoTime() - before;
    }
    Duration virtual = time.advanceUntil(() -> probe.ended >= migrations, Duration.ofDays(30));
    long end = System.nanoTime();
    long succeeded =
        handles.stream().filter(h -> h.state().completed() && !h.state().failed()).count();
    long roundTrips = calls.sum() - callsBefore;
    long bytesAfter = bytes.measure();
    engines.forEach(MigrationEngine::close);
    Arrays.sort(admission);
    return new Result(
        name,
        migrations,
        succeeded,
        (end - start) / 1e9,
        virtual,
        probe.peakCluster,
        probe.peakNode,
        roundTrips / (double) migrations,
        bytesBefore < 0 ? -1 : (bytesAfter - bytesBefore) / migrations,
        admission[migrations / 2] / 1e3,
        admission[Math.min(migrations - 1, migrations * 99 / 100)] / 1e3);
  }

  private static void print(Result r, int replicas) {
    System.out.printf("store                 %s, %d replicas%n", r.store(), replicas);
    System.out.printf("migrations            %d, %d succeeded%n", r.migrations(), r.succeeded());
    System.out.printf("wall time             %.2f s%n", r.wallSeconds());
    System.out.printf("virtual time          %s%n", r.virtual());
    System.out.printf("peak per cluster      %d%n", r.peakCluster());
    System.out.printf("peak per source node  %d%n", r.peakNode());
    System.out.printf("store round trips     %.1f per migration%n", r.roundTripsPerMigration());
    if (r.bytesPerMigration() >= 0) {
      System.out.printf(
          "store bytes           %d per migration (tables and indexes)%n", r.bytesPerMigration());
    }
    System.out.printf(
        "admission latency     p50 %.0f µs, p99 %.0f µs%n", r.admitP50Micros(), r.admitP99Micros());
  }

  private static long tableBytes(DataSource dataSource, String prefix) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                    + " WHERE c.relkind = 'r' AND c.relname LIKE '"
                    + prefix
                    + "%'")) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private static void dropTables(DataSource dataSource, String prefix) throws SQLException {
    List<String> tables = new ArrayList<>();
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      try (ResultSet rows =
          statement.executeQuery(
              "SELECT tablename FROM pg_tables WHERE tablename LIKE '" + prefix + "%'")) {
        while (rows.next()) {
          tables.add(rows.getString(1));
        }
      }
      for (String table : tables) {
        statement.execute("DROP TABLE IF EXISTS " + table + " CASCADE");
      }
    }
  }

  private static String nodeName(int n) {
    return String.format("node%04d", n);
  }

  /** Counts migrations between Scheduled and their end, in total and per source node. */
  private static final class ConcurrencyProbe implements MigrationListener {
    private final Map<String, String> sourceByUid = new HashMap<>();
    private final Map<String, Integer> perNode = new HashMap<>();
    private int cluster;
    private int peakCluster;
    private int peakNode;
    private int ended;

    @Override
    public synchronized void onEvent(MigrationEvent event) {
      if (event instanceof MigrationEvent.Scheduled scheduled) {
        sourceByUid.put(event.migrationUid(), scheduled.sourceNode());
        peakCluster = Math.max(peakCluster, ++cluster);
        peakNode = Math.max(peakNode, perNode.merge(scheduled.sourceNode(), 1, Integer::sum));
      } else if (event instanceof MigrationEvent.Succeeded
          || event instanceof MigrationEvent.Failed) {
        ended++;
        String source = sourceByUid.remove(event.migrationUid());
        if (source != null) {
          cluster--;
          perNode.merge(source, -1, Integer::sum);
        }
      }
    }
  }
}
