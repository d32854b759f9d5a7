package dev.livemigration.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.spi.MigrationRecord;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three engine JVMs ({@link ReplicaMain}) on one PostgreSQL store and one inventory; one of them
 * drives slow migrations (128 MiB at 16 MiB/s, about 10 s each) and is then killed with SIGKILL, or
 * stopped with SIGSTOP past its lease and continued. The others adopt its migrations once its lease
 * ran out; the model backend cannot resume a migration another JVM ran, so each adopted one ends
 * Failed saying so, exactly once; the paused replica's late writes are refused, it stops driving,
 * ends none of them, joins again and works on.
 */
@ExtendWith(PostgreSql.class)
@DisplayName("Engine replica JVMs: one killed with SIGKILL, one paused with SIGSTOP")
class EngineReplicaFailoverTest {
  private static final Logger LOG = LoggerFactory.getLogger(EngineReplicaFailoverTest.class);
  private static final long LEASE_MILLIS = 2_000;
  private static final long SAMPLE_MILLIS = 150;

  /** How late after the lease's end an adoption may come on a slow, noisy machine. */
  private static final long ADOPTION_MARGIN_MILLIS = 6_000;

  private static final List<String> SURVIVORS = List.of("replica-a", "replica-b");

  @Test
  @DisplayName("a replica killed while it drives migrations: adopted within the lease, ended once")
  void killedReplica(PostgreSql.Server server, @TempDir Path logs) throws Exception {
    String victim = "replica-k";
    Setup setup = new Setup(server);
    try (Replicas replicas = setup.replicas(logs, victim)) {
      startSlowMigrations(setup, replicas, victim, 5);

      replicas.process(victim).destroyForcibly();
      assertThat(replicas.process(victim).waitFor(10, TimeUnit.SECONDS)).isTrue();
      long killedAt = System.currentTimeMillis();
      List<MigrationRecord> orphans = owned(setup.store, victim);
      Instant leaseEnd = leaseEnd(setup.dataSource, setup.prefix, victim);
      assertThat(orphans).as("the victim died while driving migrations").isNotEmpty();

      awaitEnded(setup.store, orphans, replicas);
      List<Long> delays = checkAdopted(replicas, setup.store, orphans, victim, killedAt, leaseEnd);
      LOG.info(
          "Killed {} with {} migrations ({}); adopted {} ms after the kill (lease {} ms)",
          victim,
          orphans.size(),
          phases(orphans),
          delays,
          LEASE_MILLIS);
      awaitAllEnded(setup.store);
      replicas.closeAll(60);
      checkEndedOnce(replicas, setup.store.list(), victim);
      checkStayedOnSource(setup, orphans);
    }
  }

  @Test
  @DisplayName("a replica paused past its lease: adopted, its late writes refused, ended once")
  void pausedReplica(PostgreSql.Server server, @TempDir Path logs) throws Exception {
    String paused = "replica-p";
    Setup setup = new Setup(server);
    try (Replicas replicas = setup.replicas(logs, paused)) {
      startSlowMigrations(setup, replicas, paused, 4);

      long stoppedAt = stopOutsideTransactions(replicas, setup.dataSource, paused);
      List<MigrationRecord> stranded = owned(setup.store, paused);
      Instant leaseEnd = leaseEnd(setup.dataSource, setup.prefix, paused);
      assertThat(stranded).as("it was paused while driving migrations").isNotEmpty();
      // A cancel on another replica of a migration the paused one drives: recorded for it.
      String cancelled = stranded.get(0).request().name();
      replicas.send(SURVIVORS.get(0), "cancel " + cancelled);
      Replicas.await(
          () -> replicas.has(SURVIVORS.get(0), "OP cancel-name " + cancelled + " "),
          30,
          "the cancel returned");
      String cancel =
          replicas.lines(SURVIVORS.get(0)).stream()
              .filter(l -> l.startsWith("OP cancel-name " + cancelled + " "))
              .findFirst()
              .orElseThrow();
      assertThat(cancel).contains("ABORT_REQUESTED").contains("replica " + paused);
      awaitEnded(setup.store, stranded, replicas);
      List<Long> delays =
          checkAdopted(replicas, setup.store, stranded, paused, stoppedAt, leaseEnd);
      int printed = replicas.lines(paused).size();

      replicas.signal(paused, "CONT");
      long continuedAt = System.currentTimeMillis();
      Replicas.await(
          () -> stranded.stream().allMatch(r -> replicas.stderr(paused).contains(stopped(r))),
          30,
          () ->
              "the paused replica stopped driving each adopted migration:\n"
                  + replicas.log(paused));
      long noticedAt = System.currentTimeMillis();
      // Joined again, it works on: a new migration of its own ends.
      replicas.send(paused, "configure 5 2 64");
      replicas.send(paused, "migrate after-pause vmi-9");
      Replicas.await(
          () ->
              setup.store.list().stream()
                  .anyMatch(r -> r.request().name().equals("after-pause") && r.isTerminal()),
          60,
          () -> "a migration after the pause ended:\n" + replicas.log(paused));
      awaitAllEnded(setup.store);
      replicas.closeAll(60);

      List<String> late = replicas.lines(paused).subList(printed, replicas.lines(paused).size());
      Set<String> uids = stranded.stream().map(MigrationRecord::uid).collect(Collectors.toSet());
      assertThat(late)
          .as("after the pause, no event of a migration another replica adopted")
          .noneMatch(line -> line.startsWith("EVENT ") && uids.contains(line.split(" ")[2]));
      String stderr = replicas.stderr(paused);
      LOG.info(
          "Paused {} with {} migrations ({}); adopted {} ms after the stop; once continued it"
              + " noticed within {} ms: {}",
          paused,
          stranded.size(),
          phases(stranded),
          delays,
          noticedAt - continuedAt,
          stderr
              .lines()
              .filter(l -> l.contains("lost its lease") || l.contains("no longer driven"))
              .map(l -> l.substring(l.indexOf(" - ") + 3))
              .toList());
      checkEndedOnce(replicas, setup.store.list(), paused);
      // Reported, not asserted: once continued, the paused replica drops its migrations from the
      // housekeeping thread without their locks while their monitors may still run (see report).
      LOG.info("Session calls out of turn: {}", replicas.linesStarting("SESSION-"));
      checkStayedOnSource(setup, stranded);
      MigrationRecord cancelledRecord =
          setup.store.list().stream()
              .filter(r -> r.request().name().equals(cancelled))
              .findFirst()
              .orElseThrow();
      LOG.info(
          "The migration cancelled while its owner was paused ended {}", cancelledRecord.state());
      assertThat(cancelledRecord.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(cancelledRecord.state().abortRequested())
          .as("the cancel is in its state")
          .isTrue();
      assertThat(
              setup.store.list().stream()
                  .filter(r -> r.request().name().equals("after-pause"))
                  .map(MigrationRecord::phase))
          .containsExactly(MigrationPhase.SUCCEEDED);
    }
  }

  /** The store, the inventory and the replicas' logs of one test. */
  private static final class Setup {
    final PostgreSql.Server server;
    final String prefix;
    final DataSource dataSource;
    final JdbcMigrationStore store;

    Setup(PostgreSql.Server server) throws SQLException {
      this.server = server;
      this.prefix = server.freshPrefix();
      this.dataSource = server.dataSource();
      this.store = JdbcMigrationStore.builder(dataSource).tablePrefix(prefix).build();
      store.list(); // creates the tables before the replicas race to
      TableInventory.create(
          dataSource,
          prefix,
          EngineReplicasMultiJvmTest.NODES,
          EngineReplicasMultiJvmTest.placements(12, i -> 128));
    }

    Replicas replicas(Path logs, String third) throws Exception {
      Replicas replicas = new Replicas(server, prefix, logs, LEASE_MILLIS, SAMPLE_MILLIS);
      for (String replica : SURVIVORS) {
        replicas.start(replica);
      }
      replicas.start(third);
      replicas.awaitReady();
      return replicas;
    }
  }

  /**
   * Has the replica start {@code count} slow migrations of VMIs on distinct nodes, and waits until
   * it drives at least two of them with data moving.
   */
  private static void startSlowMigrations(Setup setup, Replicas replicas, String replica, int count)
      throws Exception {
    // The others claim only while nothing runs, so that this replica drives (almost) all of them.
    for (String survivor : SURVIVORS) {
      replicas.send(survivor, "configure 1 2 64");
      Replicas.await(
          () -> replicas.has(survivor, "OP configure 1 2 64"), 30, survivor + " configured");
    }
    replicas.send(replica, "configure 5 2 16");
    for (int i = 0; i < count; i++) {
      replicas.send(replica, "migrate slow-" + i + " vmi-" + i);
    }
    Replicas.await(
        () ->
            setup.store.list().stream()
                    .filter(r -> replica.equals(r.owner()) && r.phase() == MigrationPhase.RUNNING)
                    .count()
                >= 2,
        60,
        () -> replica + " drives two running migrations:\n" + replicas.log(replica));
  }

  /**
   * Stops the replica with SIGSTOP, but not inside a transaction: a paused replica holding the
   * queue's lock would stall every other replica's claims (see the report), which is not what this
   * test is about. Returns when it stopped.
   */
  private static long stopOutsideTransactions(Replicas replicas, DataSource dataSource, String name)
      throws Exception {
    for (int attempt = 0; attempt < 20; attempt++) {
      replicas.signal(name, "STOP");
      long stoppedAt = System.currentTimeMillis();
      Thread.sleep(200);
      if (openTransactions(dataSource, name) == 0) {
        return stoppedAt;
      }
      LOG.info("{} stopped inside a transaction; continuing it and stopping it again", name);
      replicas.signal(name, "CONT");
      Thread.sleep(100 + 37L * attempt);
    }
    throw new AssertionError(name + " was inside a transaction at every attempt to stop it");
  }

  private static int openTransactions(DataSource dataSource, String application)
      throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?"
                    + " AND state LIKE 'idle in transaction%'")) {
      s.setString(1, application);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static List<MigrationRecord> owned(JdbcMigrationStore store, String replica) {
    return store.list().stream().filter(r -> replica.equals(r.owner()) && !r.isTerminal()).toList();
  }

  /** Waits for the migrations the survivors drive, so that closing them strands none. */
  private static void awaitAllEnded(JdbcMigrationStore store) throws InterruptedException {
    Replicas.await(
        () -> store.list().stream().allMatch(MigrationRecord::isTerminal),
        60,
        () -> "every migration ended: " + store.list());
  }

  private static void awaitEnded(
      JdbcMigrationStore store, List<MigrationRecord> records, Replicas replicas)
      throws InterruptedException {
    Replicas.await(
        () ->
            records.stream()
                .allMatch(r -> store.find(r.uid()).map(MigrationRecord::isTerminal).orElse(false)),
        (int) (LEASE_MILLIS / 1000) + 40,
        () ->
            "the migrations ended; a: "
                + replicas.log(SURVIVORS.get(0))
                + "\nb: "
                + replicas.log(SURVIVORS.get(1)));
  }

  /**
   * Checks that each migration was adopted once, by a survivor, after the lease ended and within
   * the lease (plus a margin) of the stop, and ended there Failed, saying why; returns the delays.
   */
  private static List<Long> checkAdopted(
      Replicas replicas,
      JdbcMigrationStore store,
      List<MigrationRecord> records,
      String previous,
      long stoppedAt,
      Instant leaseEnd) {
    List<Replicas.Event> events = replicas.events();
    List<Long> delays = new ArrayList<>();
    for (MigrationRecord before : records) {
      List<Replicas.Event> adopted =
          events.stream()
              .filter(e -> e.uid().equals(before.uid()) && e.kind().equals("Adopted"))
              .toList();
      assertThat(adopted).as("adopted once: " + before.uid()).hasSize(1);
      Replicas.Event adoption = adopted.get(0);
      assertThat(adoption.extra()).as("names the previous owner").isEqualTo(previous);
      assertThat(adoption.replica()).isIn(SURVIVORS).isEqualTo(adoption.log());
      long delay = adoption.at().toEpochMilli() - stoppedAt;
      delays.add(delay);
      assertThat(adoption.at()).as("not before the lease ended").isAfter(leaseEnd.minusMillis(50));
      assertThat(delay)
          .as("within the lease and a margin")
          .isLessThan(LEASE_MILLIS + ADOPTION_MARGIN_MILLIS);

      MigrationRecord after = store.find(before.uid()).orElseThrow();
      assertThat(after.owner()).isEqualTo(adoption.replica());
      assertThat(after.fencingToken()).isGreaterThan(before.fencingToken());
      assertThat(after.phase()).isEqualTo(MigrationPhase.FAILED);
      String reason = after.state().failureReason().orElse("");
      assertThat(reason).contains("replica " + previous);
      if (before.phase() == MigrationPhase.RUNNING
          || before.phase() == MigrationPhase.TARGET_READY) {
        assertThat(reason).as(before.uid() + " ran").contains("cannot resume");
      } else {
        assertThat(reason)
            .as(before.uid() + " had not started")
            .contains("before the migration started");
      }
      List<Replicas.Event> ends =
          events.stream().filter(e -> e.uid().equals(before.uid()) && e.isEnd()).toList();
      assertThat(ends).as("ended once, by the adopter").hasSize(1);
      assertThat(ends.get(0).replica()).isEqualTo(adoption.replica());
      assertThat(ends.get(0).kind()).isEqualTo("Failed");
    }
    return delays;
  }

  /**
   * Every migration ended exactly once, and each one's steps came from one replica at a time; only
   * the stopped replica may have ended one without printing it (killed between the write and the
   * print).
   */
  private static void checkEndedOnce(Replicas replicas, List<MigrationRecord> all, String stopped) {
    Map<String, List<Replicas.Event>> byUid =
        replicas.events().stream().collect(Collectors.groupingBy(Replicas.Event::uid));
    List<String> problems = new ArrayList<>();
    for (MigrationRecord record : all) {
      List<Replicas.Event> events = byUid.getOrDefault(record.uid(), List.of());
      long ends = events.stream().filter(Replicas.Event::isEnd).count();
      if (!record.isTerminal()) {
        problems.add(record.uid() + " did not end: " + record.phase());
      } else if (ends > 1 || (ends == 0 && !stopped.equals(record.owner()))) {
        problems.add(record.uid() + " ended " + ends + " times: " + events);
      }
      problems.addAll(EngineReplicasMultiJvmTest.oneDriverAtATime(record.uid(), events));
    }
    assertThat(problems).as("migrations whose events break the rules").isEmpty();
  }

  /** The adopted migrations failed, and the inventory has each VMI still on its source. */
  private static void checkStayedOnSource(Setup setup, List<MigrationRecord> adopted)
      throws SQLException {
    Map<String, String> nodes = TableInventory.nodesOfVmis(setup.dataSource, setup.prefix);
    for (MigrationRecord record : adopted) {
      assertThat(nodes.get(record.request().vmiName()))
          .as(record.request().vmiName() + " stays on its source")
          .isEqualTo(record.sourceNode());
    }
  }

  private static String stopped(MigrationRecord record) {
    return "(" + record.uid() + "): no longer driven by this replica";
  }

  private static Instant leaseEnd(DataSource dataSource, String prefix, String replica)
      throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement("SELECT expires_at FROM " + prefix + "replicas WHERE name = ?")) {
      s.setString(1, replica);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getObject(1, OffsetDateTime.class).toInstant();
      }
    }
  }

  private static Map<MigrationPhase, Long> phases(List<MigrationRecord> records) {
    return records.stream()
        .collect(
            Collectors.groupingBy(MigrationRecord::phase, TreeMap::new, Collectors.counting()));
  }
}
