package dev.livemigration.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.spi.FencedException;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.ReplicaLease;
import dev.livemigration.testkit.tck.StoreRecords;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three replica JVMs ({@link StoreWorker}) on one PostgreSQL, one of them killed with SIGKILL while
 * it drives migrations: the limits hold cluster-wide throughout, every migration ends exactly once,
 * the dead replica's migrations are adopted once its lease ended, and its late writes are fenced.
 */
@ExtendWith(PostgreSql.class)
@DisplayName("Three replica JVMs on one PostgreSQL, one killed with SIGKILL")
class JdbcMultiJvmTest {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcMultiJvmTest.class);
  private static final int MIGRATIONS = 45;
  private static final int NODES = 6;
  private static final long LEASE_MILLIS = 2_000;
  private static final String VICTIM = "replica-c";

  @Test
  @DisplayName("keep the limits, end every migration once, adopt the dead one's and fence it")
  void killedReplica(PostgreSql.Server server, @TempDir Path logs) throws Exception {
    String prefix = server.freshPrefix();
    DataSource dataSource = server.dataSource();
    JdbcMigrationStore store = JdbcMigrationStore.builder(dataSource).tablePrefix(prefix).build();
    for (int i = 0; i < MIGRATIONS; i++) {
      StoreRecords.admit(store, "job-" + i, "vmi-" + i, "node-" + (i % NODES), i % 3);
    }
    Sampler sampler = new Sampler(dataSource, prefix);
    Thread sampling = new Thread(sampler, "limit-sampler");
    sampling.start();

    // The victim first, and the others once it drives: on a loaded machine a JVM can start many
    // seconds after another, and a victim that starts last could find nothing left to drive.
    Map<String, Process> workers = new HashMap<>();
    Process victim = start(server, prefix, VICTIM, logs);
    workers.put(VICTIM, victim);
    await(() -> count(logs, VICTIM, "CLAIMED") >= 1, 60);
    for (String replica : List.of("replica-a", "replica-b")) {
      workers.put(replica, start(server, prefix, replica, logs));
    }
    // Kill it once it has ended one migration while it drives another. The check runs while the
    // victim is frozen (SIGSTOP), so it cannot end that one between the check and the kill; what
    // it drives then is what it orphans (on a loaded machine its lease may run out while it is
    // frozen, and the others may adopt before the kill: that is adoption too).
    List<MigrationRecord> orphans = new java.util.concurrent.CopyOnWriteArrayList<>();
    await(
        () -> {
          if (count(logs, VICTIM, "ENDED") < 1) {
            return false;
          }
          signal(victim, "STOP");
          store.list().stream()
              .filter(r -> VICTIM.equals(r.owner()) && !r.isTerminal())
              .forEach(orphans::add);
          if (!orphans.isEmpty()) {
            return true;
          }
          signal(victim, "CONT");
          return false;
        },
        60);
    victim.destroyForcibly();
    assertThat(victim.waitFor(10, TimeUnit.SECONDS)).isTrue();

    ReplicaLease deadLease = lease(dataSource, prefix, VICTIM);
    assertThat(orphans)
        .as("the victim died while driving migrations; its log: " + log(logs, VICTIM))
        .isNotEmpty();

    for (String replica : List.of("replica-a", "replica-b")) {
      Process survivor = workers.get(replica);
      assertThat(survivor.waitFor(60, TimeUnit.SECONDS))
          .as(replica + " finished; its log: " + log(logs, replica))
          .isTrue();
      assertThat(survivor.exitValue()).as(log(logs, replica)).isZero();
    }
    sampler.stop.set(true);
    sampling.join(5_000);
    LOG.info(
        "{} migrations, {} orphaned by the kill, {} samples, at most {} in the cluster and {} on"
            + " a node",
        MIGRATIONS,
        orphans.size(),
        sampler.samples,
        sampler.maxCluster,
        sampler.maxNode);

    // The limits held in every sample of the database.
    assertThat(sampler.samples.get()).isGreaterThan(20);
    assertThat(sampler.maxCluster.get()).isBetween(1, StoreWorker.LIMITS.perCluster());
    assertThat(sampler.maxNode.get()).isBetween(1, StoreWorker.LIMITS.outboundPerNode());
    assertThat(sampler.failure).as("sampling errors").isNull();

    // Every migration ended, exactly once.
    List<MigrationRecord> all = store.list();
    assertThat(all).hasSize(MIGRATIONS).allMatch(MigrationRecord::isTerminal);
    assertThat(events(logs, "CLAIMED").values()).as("claimed once each").allMatch(n -> n == 1);
    Map<String, Long> ends = events(logs, "ENDED");
    assertThat(ends.values()).allMatch(n -> n == 1);
    for (MigrationRecord record : all) {
      if (!ends.containsKey(record.uid())) {
        // Only the victim can have ended one without saying so: killed between commit and print.
        assertThat(record.owner()).as(record.uid() + " ended unseen").isEqualTo(VICTIM);
      }
    }

    // The dead replica's migrations were adopted, once its lease had ended, by the others.
    Map<String, Long> adopted = events(logs, "ADOPTED");
    Map<String, Long> adoptedAt = adoptionTimes(logs);
    for (MigrationRecord orphan : orphans) {
      assertThat(adopted.get(orphan.uid())).as("adopted once: " + orphan.uid()).isEqualTo(1L);
      assertThat(adoptedAt.get(orphan.uid()))
          .as("adopted after the lease ended at " + deadLease.expiresAt())
          .isGreaterThanOrEqualTo(deadLease.expiresAt().toEpochMilli() - 50);
      MigrationRecord now = store.find(orphan.uid()).orElseThrow();
      assertThat(now.owner()).isIn("replica-a", "replica-b");
      assertThat(now.fencingToken()).isGreaterThan(orphan.fencingToken());
      assertThat(ends).containsKey(orphan.uid());
    }

    // A late write of the dead replica (a paused JVM that resumes) is refused, as is one from a
    // new run of it that still holds the old record.
    MigrationRecord late = StoreRecords.running(orphans.get(0), 1);
    assertThatThrownBy(() -> store.write(deadLease, late)).isInstanceOf(FencedException.class);
    ReplicaLease rejoined = store.join(VICTIM, Duration.ofSeconds(30));
    assertThatThrownBy(() -> store.write(rejoined, late)).isInstanceOf(FencedException.class);
    store.leave(rejoined);
    assertThat(store.find(late.uid()).orElseThrow().isTerminal()).isTrue();
  }

  private static Process start(PostgreSql.Server server, String prefix, String replica, Path logs)
      throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return new ProcessBuilder(
            java,
            "-Xmx96m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            classpath,
            StoreWorker.class.getName(),
            String.valueOf(server.port()),
            prefix,
            replica,
            String.valueOf(LEASE_MILLIS),
            "6",
            "120")
        .redirectOutput(logs.resolve(replica + ".out").toFile())
        .redirectError(logs.resolve(replica + ".err").toFile())
        .start();
  }

  private static ReplicaLease lease(DataSource dataSource, String prefix, String replica)
      throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT incarnation, expires_at FROM " + prefix + "replicas WHERE name = ?")) {
      s.setString(1, replica);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return new ReplicaLease(
            replica, rs.getLong(1), rs.getObject(2, OffsetDateTime.class).toInstant());
      }
    }
  }

  private static List<String> lines(Path logs, String replica) {
    try {
      Path out = logs.resolve(replica + ".out");
      return Files.exists(out) ? Files.readAllLines(out, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static String log(Path logs, String replica) {
    try {
      return String.join("\n", lines(logs, replica))
          + "\n"
          + Files.readString(logs.resolve(replica + ".err"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static long count(Path logs, String replica, String kind) {
    return lines(logs, replica).stream().filter(line -> line.startsWith(kind + " ")).count();
  }

  private static Map<String, Long> events(Path logs, String kind) {
    return allLines(logs).stream()
        .filter(line -> line.startsWith(kind + " "))
        .map(line -> line.split(" ")[1])
        .collect(Collectors.groupingBy(uid -> uid, Collectors.counting()));
  }

  private static Map<String, Long> adoptionTimes(Path logs) {
    Map<String, Long> times = new HashMap<>();
    for (String line : allLines(logs)) {
      if (line.startsWith("ADOPTED ")) {
        String[] parts = line.split(" ");
        times.put(parts[1], Long.parseLong(parts[3]));
      }
    }
    return times;
  }

  private static List<String> allLines(Path logs) {
    List<String> all = new ArrayList<>();
    for (String replica : List.of("replica-a", "replica-b", VICTIM)) {
      all.addAll(lines(logs, replica));
    }
    return all;
  }

  private static void signal(Process process, String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).start();
      assertThat(kill.waitFor(10, TimeUnit.SECONDS)).as("kill -" + signal).isTrue();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static void await(java.util.function.BooleanSupplier condition, int seconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + seconds + " s");
      }
      Thread.sleep(50);
    }
  }

  /** Samples the migrations that hold a slot, straight from the database's rows. */
  private static final class Sampler implements Runnable {
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger samples = new AtomicInteger();
    final AtomicInteger maxCluster = new AtomicInteger();
    final AtomicInteger maxNode = new AtomicInteger();
    volatile Exception failure;
    private final DataSource dataSource;
    private final String query;

    Sampler(DataSource dataSource, String prefix) {
      this.dataSource = dataSource;
      this.query =
          "SELECT source_node, count(*) FROM "
              + prefix
              + "records WHERE NOT terminal AND phase <> 'PENDING' GROUP BY source_node";
    }

    @Override
    public void run() {
      try (Connection c = dataSource.getConnection();
          Statement s = c.createStatement()) {
        while (!stop.get()) {
          int cluster = 0;
          try (ResultSet rs = s.executeQuery(query)) {
            while (rs.next()) {
              cluster += rs.getInt(2);
              maxNode.accumulateAndGet(rs.getInt(2), Math::max);
            }
          }
          maxCluster.accumulateAndGet(cluster, Math::max);
          samples.incrementAndGet();
          Thread.sleep(25);
        }
      } catch (SQLException | InterruptedException e) {
        failure = e;
      }
    }
  }
}
