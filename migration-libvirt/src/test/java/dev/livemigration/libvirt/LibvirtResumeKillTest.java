package dev.livemigration.libvirt;

import static dev.livemigration.libvirt.LibvirtMigrationTest.A;
import static dev.livemigration.libvirt.LibvirtMigrationTest.B;
import static dev.livemigration.libvirt.LibvirtMigrationTest.WAIT;
import static dev.livemigration.libvirt.LibvirtMigrationTest.assertRunsOnlyOn;
import static dev.livemigration.libvirt.LibvirtMigrationTest.assertSucceeded;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.core.Scheduler;
import dev.livemigration.jdbc.JdbcMigrationStore;
import dev.livemigration.jdbc.PostgreSql;
import dev.livemigration.libvirt.LibvirtDaemons.Hosts;
import dev.livemigration.libvirt.LibvirtMigrationTest.Events;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainJobStats;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real QEMU migration whose engine JVM ({@link ResumeKillWorker}) is killed with SIGKILL while
 * the job runs; an engine in this JVM on the same PostgreSQL store ({@code JdbcMigrationStore})
 * adopts it after the worker's lease and records the true outcome: a peer-to-peer job goes on in
 * the source daemon and ends Succeeded on node-b; a managed one is aborted by libvirt when its
 * client dies, and ends Failed with the guest on node-a.
 */
@ExtendWith(LibvirtDaemons.class)
@DisplayName("libvirt migrations whose engine JVM is killed, adopted from a PostgreSQL store")
class LibvirtResumeKillTest {
  private static final Logger LOG = LoggerFactory.getLogger(LibvirtResumeKillTest.class);
  private static PostgreSql.Server database;
  private static int prefixes;

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private Hosts hosts;
  private Connect nodeA;
  private Connect nodeB;

  @BeforeAll
  static void startDatabase() throws IOException {
    Optional<String> why = PostgreSql.whyUnavailable();
    if (why.isPresent()) {
      LibvirtDaemons.skipOrFail("PostgreSQL for the JDBC store cannot run here: " + why.get());
    }
    database = PostgreSql.Server.start();
  }

  @AfterAll
  static void stopDatabase() {
    if (database != null) {
      database.close();
    }
  }

  @BeforeEach
  void connect(Hosts hosts) throws LibvirtException {
    this.hosts = hosts;
    nodeA = new Connect(hosts.uri(A));
    nodeB = new Connect(hosts.uri(B));
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable closeable : toClose) {
      closeable.close();
    }
    hosts.destroyAllDomains();
    nodeA.close();
    nodeB.close();
  }

  @Test
  @DisplayName("peer-to-peer: the job goes on in libvirtd; the new engine records Succeeded on B")
  void peerToPeer() throws Exception {
    String name = "killed-p2p";
    String prefix = prefix();
    nodeA.domainCreateXML(TestDomains.kernel(name, GuestKernels.filledIdle()), 0).free();
    JdbcMigrationStore store = store(prefix);
    Worker worker = startWorker(prefix, name, "p2p");
    MigrationRecord running = awaitRunning(store, worker, name);
    long killedAt = processedOnA(name);
    worker.process().destroyForcibly(); // SIGKILL
    assertThat(worker.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(worker.process().exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
    Thread.sleep(1_000);
    assertThat(processedOnA(name))
        .as("the source daemon's job advances with its client dead")
        .isGreaterThan(killedAt);

    Events events = new Events();
    MigrationEngine engine = engine(store, events);
    MigrationState state =
        engine
            .find("default", name)
            .orElseThrow()
            .completion()
            .get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertSucceeded(state, B);
    assertThat(state.guestLocation()).contains(GuestLocation.TARGET);
    assertAdopted(events, running.uid());
    assertThat(events.samples(running.uid()))
        .anyMatch(s -> s.status() == ProgressSample.Status.ACTIVE && s.dataProcessed() > 0);
    LibvirtResumeTest.assertFinalStatistics(state);
    assertThat(store.find(running.uid()).orElseThrow().owner()).isEqualTo("b");
    assertRunsOnlyOn(name, nodeB, nodeA);
  }

  @Test
  @DisplayName(
      "managed: libvirt aborts the job with its client; the new engine records Failed on A")
  void managed() throws Exception {
    String name = "killed-managed";
    String prefix = prefix();
    nodeA.domainCreateXML(TestDomains.kernel(name, GuestKernels.filledIdle()), 0).free();
    JdbcMigrationStore store = store(prefix);
    Worker worker = startWorker(prefix, name, "managed");
    MigrationRecord running = awaitRunning(store, worker, name);
    assertThat(running.resumeData()).containsEntry(ResumeData.PEER_TO_PEER, "false");
    worker.process().destroyForcibly(); // SIGKILL
    assertThat(worker.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    Events events = new Events();
    MigrationEngine engine = engine(store, events);
    MigrationState state =
        engine
            .find("default", name)
            .orElseThrow()
            .completion()
            .get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
    assertThat(state.guestLocation()).contains(GuestLocation.SOURCE);
    assertThat(state.failureReason())
        .hasValueSatisfying(
            r ->
                assertThat(r)
                    .contains("the guest runs on " + A)
                    .contains("managed (client-driven) migration, which libvirt aborts"));
    assertAdopted(events, running.uid());
    assertRunsOnlyOn(name, nodeA, nodeB);
  }

  // ------------------------------------------------------------------ helpers

  private static synchronized String prefix() {
    return "resume" + (++prefixes) + "_";
  }

  private JdbcMigrationStore store(String prefix) {
    return JdbcMigrationStore.builder(PostgreSql.dataSource(database.port()))
        .tablePrefix(prefix)
        .build();
  }

  /** Replica {@code b} in this JVM, with a backend of its own, on the worker's store. */
  private MigrationEngine engine(JdbcMigrationStore store, Events events) {
    LibvirtBackend backend = LibvirtBackend.of(hosts.uris());
    Scheduler scheduler = Scheduler.system(4);
    MigrationEngine engine =
        MigrationEngines.builder()
            .configuration(LibvirtResumeTest.slow())
            .backend(backend)
            .inventory(LibvirtInventory.of(backend))
            .store(store)
            .replica("b")
            .leaseDuration(LibvirtResumeTest.LEASE)
            .scheduler(scheduler)
            .sampleInterval(LibvirtResumeTest.SAMPLE_INTERVAL)
            .listener(events::add)
            .build();
    toClose.add(
        () -> {
          engine.close();
          scheduler.close();
        });
    return engine;
  }

  /** Starts the worker JVM on this JVM's test class path; its output goes to {@code target}. */
  private Worker startWorker(String prefix, String name, String mode) throws IOException {
    Path log = LibvirtDaemons.buildDir().resolve("resume-kill-" + name + ".log");
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        List.of(
            java.toString(),
            "-Xmx128m",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            classPath,
            ResumeKillWorker.class.getName(),
            String.valueOf(database.port()),
            prefix,
            hosts.uri(A),
            hosts.uri(B),
            name,
            mode);
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    toClose.add(process::destroyForcibly);
    LOG.info("Started the worker JVM (pid {}) for {}; its log is {}", process.pid(), name, log);
    return new Worker(process, log);
  }

  /** Waits until the worker's migration moves data and its record holds the resume data. */
  private static MigrationRecord awaitRunning(JdbcMigrationStore store, Worker worker, String name)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<MigrationRecord> record = store.findByName("default", name);
      if (record.isPresent()
          && record.get().phase() == MigrationPhase.RUNNING
          && !record.get().resumeData().isEmpty()
          && record.get().state().progress().map(p -> p.dataProcessed() > 0).orElse(false)) {
        assertThat(record.get().owner()).isEqualTo(ResumeKillWorker.REPLICA);
        return record.get();
      }
      if (!worker.process().isAlive()) {
        throw new AssertionError(
            "the worker exited with "
                + worker.process().exitValue()
                + " before its migration ran:\n"
                + worker.logText());
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the worker's migration did not run within " + WAIT);
  }

  /** The data the source daemon's migration job has processed. */
  private long processedOnA(String name) throws LibvirtException {
    Domain domain = nodeA.domainLookupByName(name);
    try {
      DomainJobStats stats = domain.getJobStats(0);
      JobStats job = JobStats.of(stats.type, stats.stats);
      assertThat(job.active()).as("a migration job on node-a").isTrue();
      return job.get("data_processed");
    } finally {
      domain.free();
    }
  }

  private static void assertAdopted(Events events, String uid) {
    assertThat(events.all())
        .filteredOn(e -> e instanceof MigrationEvent.Adopted && e.migrationUid().equals(uid))
        .singleElement()
        .satisfies(
            e -> {
              MigrationEvent.Adopted adopted = (MigrationEvent.Adopted) e;
              assertThat(adopted.previousOwner()).isEqualTo(ResumeKillWorker.REPLICA);
              assertThat(adopted.replica()).isEqualTo("b");
            });
  }

  /** The worker JVM and its log. */
  record Worker(Process process, Path log) {
    String logText() {
      try {
        return Files.readString(log, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(no log at " + log + ")";
      }
    }
  }
}
