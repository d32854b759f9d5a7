package dev.livemigration.libvirt;

import static dev.livemigration.libvirt.LibvirtMigrationTest.A;
import static dev.livemigration.libvirt.LibvirtMigrationTest.B;
import static dev.livemigration.libvirt.LibvirtMigrationTest.WAIT;
import static dev.livemigration.libvirt.LibvirtMigrationTest.assertRunsOnlyOn;
import static dev.livemigration.libvirt.LibvirtMigrationTest.assertSucceeded;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.core.Admission;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.core.Scheduler;
import dev.livemigration.core.store.InMemoryMigrationStore;
import dev.livemigration.libvirt.LibvirtDaemons.Hosts;
import dev.livemigration.libvirt.LibvirtMigrationTest.Events;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Domain.MigrateFlags;
import org.libvirt.LibvirtException;

/**
 * A replica that drives a real peer-to-peer QEMU migration stops (its scheduler is frozen: it drops
 * every further task, renews no lease, and is never closed, so nothing aborts the job), and a
 * second replica with a backend of its own adopts the migration from the shared store after the
 * lease and records what libvirt did. The guest fills 64 MiB once (data that must all be sent) and
 * the bandwidth is 5 MiB/s, so that the job runs for about 13 s.
 */
@ExtendWith(LibvirtDaemons.class)
@DisplayName("libvirt migrations resumed after their engine stopped")
class LibvirtResumeTest {
  static final Duration LEASE = Duration.ofSeconds(3);
  static final Duration SAMPLE_INTERVAL = Duration.ofMillis(250);

  private final MigrationStore store = new InMemoryMigrationStore();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private Hosts hosts;
  private Connect nodeA;
  private Connect nodeB;

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

  /** 5 MiB/s, and a completion budget (100 s) that a slow machine does not reach. */
  static MigrationConfiguration slow() {
    return MigrationConfiguration.builder()
        .disableTLS(true)
        .bandwidthPerMigration(Quantity.ofMebibytes(5))
        .completionTimeoutPerGiB(Duration.ofSeconds(800))
        .build();
  }

  @Test
  @DisplayName("adopted while the job runs: the new replica follows it and records Succeeded on B")
  void adoptedWhileRunning() throws Exception {
    String name = "resume-live";
    nodeA.domainCreateXML(TestDomains.kernel(name, GuestKernels.filledIdle()), 0).free();
    Replica a = replica("a");
    MigrationHandle handle = a.engine.migrate(VirtualMachineInstanceMigration.of(name, name));
    awaitDataMoving(a, handle.uid());
    Map<String, String> data = store.find(handle.uid()).orElseThrow().resumeData();
    assertThat(data)
        .containsEntry(ResumeData.DOMAIN_NAME, name)
        .containsEntry(ResumeData.DOMAIN_UUID, uuidOn(nodeA, name))
        .containsEntry(ResumeData.SOURCE_NODE, A)
        .containsEntry(ResumeData.TARGET_NODE, B)
        .containsEntry(ResumeData.SOURCE_URI, hosts.uri(A))
        .containsEntry(ResumeData.PEER_TO_PEER, "true")
        .containsKey(ResumeData.STARTED_AT);
    assertThat(data.get(ResumeData.FLAG_NAMES)).contains("LIVE", "PEER2PEER");

    a.scheduler.freeze(); // replica a "crashes": it drives nothing more and renews no lease
    Replica b = replica("b");
    MigrationState state = awaitEnd(b, name);

    assertSucceeded(state, B);
    assertThat(state.guestLocation()).contains(GuestLocation.TARGET);
    assertThat(store.find(handle.uid()).orElseThrow().owner()).isEqualTo("b");
    assertAdoptedByB(b, handle.uid());
    assertThat(b.events.samples(handle.uid()))
        .as("b followed the running job from its statistics")
        .anyMatch(s -> s.status() == ProgressSample.Status.ACTIVE && s.dataProcessed() > 0);
    assertFinalStatistics(state);
    assertThat(a.events.all())
        .noneMatch(
            e -> e instanceof MigrationEvent.Succeeded || e instanceof MigrationEvent.Failed);
    assertRunsOnlyOn(name, nodeB, nodeA);
  }

  @Test
  @DisplayName("the job completes while no engine watches: the new replica records Succeeded on B")
  void completedUnwatched() throws Exception {
    String name = "resume-done";
    nodeA.domainCreateXML(TestDomains.kernel(name, GuestKernels.filledIdle()), 0).free();
    // Nobody needs to see this job run: 16 MiB/s, about 4 s.
    Replica a =
        replica(
            "a",
            MigrationConfiguration.builder()
                .from(slow())
                .bandwidthPerMigration(Quantity.ofMebibytes(16))
                .build());
    MigrationHandle handle = a.engine.migrate(VirtualMachineInstanceMigration.of(name, name));
    awaitDataMoving(a, handle.uid());
    a.scheduler.freeze();
    awaitRunsOnlyOn(name, nodeB, nodeA, WAIT);

    Replica b = replica("b");
    MigrationState state = awaitEnd(b, name);

    assertSucceeded(state, B);
    assertThat(state.guestLocation()).contains(GuestLocation.TARGET);
    assertAdoptedByB(b, handle.uid());
    assertThat(b.events.samples(handle.uid()))
        .as("b found the job over")
        .isNotEmpty()
        .allMatch(s -> s.status() == ProgressSample.Status.COMPLETED);
    assertFinalStatistics(state);
    assertRunsOnlyOn(name, nodeB, nodeA);
  }

  @Test
  @DisplayName("adopted, then cancelled on the new replica: the abort takes, the guest stays on A")
  void adoptedThenCancelled() throws Exception {
    String name = "resume-cancel";
    nodeA.domainCreateXML(TestDomains.kernel(name, GuestKernels.filledIdle()), 0).free();
    Replica a = replica("a");
    MigrationHandle handle = a.engine.migrate(VirtualMachineInstanceMigration.of(name, name));
    awaitDataMoving(a, handle.uid());
    a.scheduler.freeze();
    Replica b = replica("b");
    b.events.await("the adoption", e -> e instanceof MigrationEvent.Adopted);
    b.events.await(
        "a sample of the followed job",
        e ->
            e instanceof MigrationEvent.Progress p
                && p.sample().status() == ProgressSample.Status.ACTIVE);

    assertThat(b.engine.cancel("default", name)).isPresent();
    MigrationState state = awaitEnd(b, name);

    assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
    assertThat(state.abortStatus()).contains(AbortStatus.SUCCEEDED);
    assertThat(state.guestLocation()).contains(GuestLocation.SOURCE);
    assertThat(state.failureReason()).hasValueSatisfying(r -> assertThat(r).contains("cancel"));
    assertThat(state.progress())
        .hasValueSatisfying(
            last ->
                assertThat(last.failureReason())
                    .hasValueSatisfying(
                        r -> assertThat(r).contains("aborted; the guest runs on " + A)));
    assertRunsOnlyOn(name, nodeA, nodeB);
  }

  @Test
  @DisplayName(
      "resumed with no job and the guest on A: Failed, the job ended unwatched (managed: why)")
  void endedOnSource() throws Exception {
    String name = "resume-stayed";
    nodeA.domainCreateXML(TestDomains.idle(name), 0).free();
    LibvirtBackend backend = backend();
    MigrationSpec spec = spec(backend, name);
    Map<String, String> p2p = resumeData(name, uuidOn(nodeA, name), true);

    ProgressSample sample = backend.resume(spec, p2p).orElseThrow().sample();

    assertThat(sample.status()).isEqualTo(ProgressSample.Status.FAILED);
    assertThat(sample.failureReason())
        .contains("the migration job ended while no engine watched it; the guest runs on " + A);
    assertThat(sample.guestLocation()).contains(GuestLocation.SOURCE);

    Map<String, String> managed = resumeData(name, uuidOn(nodeA, name), false);
    assertThat(backend.resume(spec, managed).orElseThrow().sample().failureReason())
        .hasValueSatisfying(
            r -> assertThat(r).contains("managed (client-driven) migration, which libvirt aborts"));
    assertRunsOnlyOn(name, nodeA, nodeB);
  }

  @Test
  @DisplayName("resumed with the domain on neither host: Failed, its whereabouts unknown")
  void whereaboutsUnknown() throws Exception {
    String name = "resume-lost";
    nodeA.domainCreateXML(TestDomains.idle(name), 0).free();
    LibvirtBackend backend = backend();
    MigrationSpec spec = spec(backend, name);
    String uuid = uuidOn(nodeA, name);
    Domain domain = nodeA.domainLookupByName(name);
    domain.destroy();
    domain.free();

    MigrationSession session = backend.resume(spec, resumeData(name, uuid, true)).orElseThrow();
    ProgressSample sample = session.sample();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (sample.status() == ProgressSample.Status.ACTIVE && System.nanoTime() < deadline) {
      Thread.sleep(250); // libvirt may be between two steps: the session reads again for a while
      sample = session.sample();
    }

    assertThat(sample.status()).isEqualTo(ProgressSample.Status.FAILED);
    assertThat(sample.failureReason())
        .hasValueSatisfying(
            r ->
                assertThat(r)
                    .contains("the guest's whereabouts are unknown")
                    .contains("gone on " + A + " and gone on " + B)
                    .contains("needs an operator"));
    assertThat(sample.guestLocation()).contains(GuestLocation.UNKNOWN);
  }

  // ------------------------------------------------------------------ helpers

  LibvirtBackend backend() {
    LibvirtBackend backend = LibvirtBackend.of(hosts.uris());
    toClose.add(backend);
    return backend;
  }

  /** The spec of a migration of the domain from A to B, as an engine would give it. */
  static MigrationSpec spec(LibvirtBackend backend, String name) {
    LibvirtInventory inventory = LibvirtInventory.of(backend);
    VirtualMachineInstance vmi = inventory.find("default", name).orElseThrow();
    return new MigrationSpec(
        "uid-" + name,
        VirtualMachineInstanceMigration.of(name, name),
        vmi,
        Admission.method(vmi),
        inventory.nodes().get(0),
        inventory.nodes().get(1),
        slow());
  }

  /** Resume data as a session that started the migration from A to B would have given. */
  Map<String, String> resumeData(String name, String uuid, boolean peerToPeer) {
    int flags = MigrateFlags.LIVE | (peerToPeer ? MigrateFlags.PEER2PEER : 0);
    return new ResumeData(
            name, uuid, A, hosts.uri(A), B, hosts.uri(B), peerToPeer, flags, Instant.now())
        .toMap(List.of());
  }

  /** One engine replica on the shared store, with a backend and a scheduler of its own. */
  record Replica(MigrationEngine engine, FreezableScheduler scheduler, Events events) {}

  Replica replica(String name) {
    return replica(name, slow());
  }

  Replica replica(String name, MigrationConfiguration config) {
    LibvirtBackend backend = LibvirtBackend.of(hosts.uris());
    FreezableScheduler scheduler = new FreezableScheduler(Scheduler.system(4));
    Events events = new Events();
    MigrationEngine engine =
        MigrationEngines.builder()
            .configuration(config)
            .backend(backend)
            .inventory(LibvirtInventory.of(backend))
            .store(store)
            .replica(name)
            .leaseDuration(LEASE)
            .scheduler(scheduler)
            .sampleInterval(SAMPLE_INTERVAL)
            .listener(events::add)
            .build();
    // A frozen replica is never closed (that would abort its migration): only its connections
    // and threads are released at the end.
    toClose.add(
        () -> {
          if (scheduler.frozen()) {
            backend.close();
          } else {
            engine.close();
          }
          scheduler.close();
        });
    return new Replica(engine, scheduler, events);
  }

  /** Waits until the replica's migration moves data and its record holds the resume data. */
  void awaitDataMoving(Replica replica, String uid) throws InterruptedException {
    replica.events.await(
        "data moving",
        e -> e instanceof MigrationEvent.Progress p && p.sample().dataProcessed() > 0);
    assertThat(store.find(uid).map(MigrationRecord::resumeData).orElseThrow()).isNotEmpty();
  }

  /** Waits for the migration's end through the replica, which reads the store. */
  static MigrationState awaitEnd(Replica replica, String name) throws Exception {
    MigrationHandle handle = replica.engine.find("default", name).orElseThrow();
    return handle.completion().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  static void assertAdoptedByB(Replica b, String uid) {
    assertThat(b.events.all())
        .filteredOn(e -> e instanceof MigrationEvent.Adopted && e.migrationUid().equals(uid))
        .singleElement()
        .satisfies(
            e -> {
              MigrationEvent.Adopted adopted = (MigrationEvent.Adopted) e;
              assertThat(adopted.previousOwner()).isEqualTo("a");
              assertThat(adopted.replica()).isEqualTo("b");
            });
    assertThat(b.events.all())
        .filteredOn(e -> e.migrationUid().equals(uid))
        .last()
        .isInstanceOf(MigrationEvent.Succeeded.class);
  }

  /** libvirt's completed-job statistics on the target, kept in the state. */
  static void assertFinalStatistics(MigrationState state) {
    assertThat(state.progress())
        .hasValueSatisfying(
            last -> {
              assertThat(last.status()).isEqualTo(ProgressSample.Status.COMPLETED);
              assertThat(last.dataTotal()).isGreaterThanOrEqualTo(128L << 20);
              assertThat(last.dataProcessed()).isGreaterThanOrEqualTo(64L << 20);
              assertThat(last.dataRemaining()).isZero();
              assertThat(last.downtime()).as("the measured downtime").isPresent();
            });
  }

  static String uuidOn(Connect node, String name) throws LibvirtException {
    Domain domain = node.domainLookupByName(name);
    try {
      return domain.getUUIDString();
    } finally {
      domain.free();
    }
  }

  static void awaitRunsOnlyOn(String name, Connect on, Connect notOn, Duration within)
      throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      try {
        LibvirtMigrationTest.assertRunsOnlyOn(name, on, notOn);
        return;
      } catch (AssertionError e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
    }
  }

  /**
   * A system scheduler that can be frozen: from then on it drops every task, including those
   * already scheduled, as if its engine's process had stopped. Tasks running at that moment finish.
   */
  static final class FreezableScheduler implements Scheduler {
    private final Scheduler delegate;
    private volatile boolean frozen;

    FreezableScheduler(Scheduler delegate) {
      this.delegate = delegate;
    }

    void freeze() {
      frozen = true;
    }

    boolean frozen() {
      return frozen;
    }

    @Override
    public Instant now() {
      return delegate.now();
    }

    @Override
    public void schedule(Duration delay, Runnable task) {
      if (frozen) {
        return;
      }
      delegate.schedule(
          delay,
          () -> {
            if (!frozen) {
              task.run();
            }
          });
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
