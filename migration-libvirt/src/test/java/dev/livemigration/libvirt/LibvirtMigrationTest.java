package dev.livemigration.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.Directive;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VolumeType;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.BackendException;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.core.Admission;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.core.Scheduler;
import dev.livemigration.libvirt.LibvirtDaemons.Hosts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.LibvirtException;

/**
 * Real QEMU migrations between two private libvirt daemons ({@link LibvirtDaemons}), driven by the
 * engine through {@link LibvirtBackend} and {@link LibvirtInventory}. Timeouts are tight and guests
 * small (128 MiB, TCG), so that the whole class runs in a couple of minutes on two cores; nothing
 * asserts on timing. TLS is disabled because the private daemons have no migration certificates
 * ({@link MigrationPlanTest} checks the TLS flag; {@link LibvirtTlsTest} migrates over TLS with
 * certificates of its own).
 */
@ExtendWith(LibvirtDaemons.class)
@DisplayName("Real QEMU migrations between two libvirt daemons, through the engine")
class LibvirtMigrationTest {
  static final Duration SAMPLE_INTERVAL = Duration.ofMillis(250);
  static final Duration WAIT = Duration.ofSeconds(120);
  static final String A = Hosts.NODE_A;
  static final String B = Hosts.NODE_B;

  /** A guest's completion budget of 6 s: 128 MiB at 48 s per GiB. */
  static final Duration SIX_SECONDS_FOR_128_MIB = Duration.ofSeconds(48);

  Hosts hosts;
  Connect nodeA;
  Connect nodeB;
  final List<AutoCloseable> toClose = new ArrayList<>();

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

  @AfterAll
  static void writeFigures() {
    Figures.write();
  }

  // ------------------------------------------------------------------ the scenarios

  @Test
  @DisplayName("an idle domain migrates there and back; it then runs on the target only")
  void idleThereAndBack() throws Exception {
    String name = "idle";
    nodeA
        .domainCreateXML(TestDomains.withMetadata(TestDomains.idle(name), "shop", "app", "web"), 0)
        .free();
    Run run = engine(MigrationConfiguration.builder().disableTLS(true).build());
    VirtualMachineInstance vmi = run.inventory.find("shop", name).orElseThrow();
    assertThat(vmi.nodeName()).isEqualTo(A);
    assertThat(vmi.labels()).containsEntry("app", "web");
    assertThat(vmi.memory()).isEqualTo(Quantity.ofMebibytes(128));
    assertThat(run.engine.status("shop", name).migrationMethod())
        .contains(MigrationMethod.LIVE_MIGRATION);

    MigrationState there = run.migrate("shop", "there", name, "idle (pre-copy) A to B");
    assertSucceeded(there, B);
    assertThat(there.targetNodeAddress()).contains("127.0.0.1");
    assertThat(there.targetPod()).contains("libvirt://node-b/idle");
    assertThat(there.progress())
        .as("libvirt's completed-job statistics, kept in the state")
        .hasValueSatisfying(
            last -> {
              assertThat(last.status()).isEqualTo(ProgressSample.Status.COMPLETED);
              assertThat(last.dataTotal()).isGreaterThanOrEqualTo(128L << 20);
              assertThat(last.dataProcessed()).isPositive();
              assertThat(last.dataRemaining()).isZero();
              assertThat(last.iteration()).isPositive();
              assertThat(last.downtime()).isPresent();
            });
    assertRunsOnlyOn(name, nodeB, nodeA);
    assertThat(run.inventory.find("shop", name).orElseThrow().nodeName()).isEqualTo(B);

    MigrationState back = run.migrate("shop", "back", name, "idle (pre-copy) B to A");
    assertSucceeded(back, A);
    assertRunsOnlyOn(name, nodeA, nodeB);

    String twin = "idle-virsh";
    nodeA.domainCreateXML(TestDomains.idle(twin), 0).free();
    virshMigrate("idle (pre-copy) A to B", twin, A, B, "--bandwidth", "64");
    assertRunsOnlyOn(twin, nodeB, nodeA);
    virshMigrate("idle (pre-copy) B to A", twin, B, A, "--bandwidth", "64");
    assertRunsOnlyOn(twin, nodeA, nodeB);
  }

  @Test
  @DisplayName("a throttled migration is cancelled: Completed, Failed, abort Succeeded, still on A")
  void cancelThrottled() throws Exception {
    String name = "filled";
    nodeA.domainCreateXML(TestDomains.kernel(name, GuestKernels.filledIdle()), 0).free();
    Run run =
        engine(
            MigrationConfiguration.builder()
                .disableTLS(true)
                .bandwidthPerMigration(Quantity.ofMebibytes(1))
                .build());
    MigrationHandle handle = run.engine.migrate(VirtualMachineInstanceMigration.of("cancel", name));
    run.events.await(
        "data moving",
        e -> e instanceof MigrationEvent.Progress p && p.sample().dataProcessed() > 0);
    assertThat(run.engine.cancel("default", "cancel")).isPresent();
    MigrationState state = handle.completion().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(state.completed()).isTrue();
    assertThat(state.failed()).isTrue();
    assertThat(state.abortRequested()).isTrue();
    assertThat(state.abortStatus()).contains(AbortStatus.SUCCEEDED);
    assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
    assertThat(state.progress())
        .as("the aborted job's last statistics")
        .hasValueSatisfying(
            last -> {
              assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
              assertThat(last.dataProcessed()).isPositive();
              assertThat(last.failureReason())
                  .hasValueSatisfying(r -> assertThat(r).contains("VIR_ERR_OPERATION_ABORTED"));
            });
    assertRunsOnlyOn(name, nodeA, nodeB);
  }

  @Test
  @DisplayName("a guest dirtying memory faster than the bandwidth: pre-copy times out and aborts")
  void preCopyTimesOut() throws Exception {
    String name = "dirty-pre";
    nodeA.domainCreateXML(TestDomains.kernel(name, GuestKernels.dirtying()), 0).free();
    Run run = engine(dirtyConfig().build());
    MigrationState state = run.migrate("default", "pre-copy", name, null);
    assertThat(state.failed()).isTrue();
    assertThat(state.failureReason()).hasValueSatisfying(r -> assertThat(r).contains("timeout"));
    assertThat(state.abortRequested()).isFalse();
    assertThat(state.mode()).isEqualTo(MigrationMode.PRE_COPY);
    assertRunsOnlyOn(name, nodeA, nodeB);
  }

  @Test
  @DisplayName("the same guest with post-copy allowed switches at the timeout and completes")
  void postCopyCompletes() throws Exception {
    String name = "dirty-post";
    nodeA.domainCreateXML(TestDomains.kernel(name, GuestKernels.dirtying()), 0).free();
    Run run = engine(dirtyConfig().allowPostCopy(true).build());
    MigrationState state =
        run.migrate("default", "post-copy", name, "dirty 64 MiB, 8 MiB/s, post-copy after 6 s");
    assertSucceeded(state, B);
    assertThat(state.mode()).isEqualTo(MigrationMode.POST_COPY);
    assertThat(run.events.all())
        .anyMatch(
            e ->
                e instanceof MigrationEvent.DirectiveApplied d
                    && d.directive() instanceof Directive.SwitchToPostCopy);
    assertThat(run.events.samples()).anyMatch(s -> s.mode() == MigrationMode.POST_COPY);
    assertRunsOnlyOn(name, nodeB, nodeA);

    String twin = "dirty-post-virsh";
    nodeA.domainCreateXML(TestDomains.kernel(twin, GuestKernels.dirtying()), 0).free();
    virshMigrate(
        "dirty 64 MiB, 8 MiB/s, post-copy after 6 s",
        twin,
        A,
        B,
        "--bandwidth",
        "8",
        "--postcopy",
        "--timeout",
        "6",
        "--timeout-postcopy");
    assertRunsOnlyOn(twin, nodeB, nodeA);
  }

  @Test
  @DisplayName(
      "the same guest with allowWorkloadDisruption: paused at the timeout, completes, runs on B")
  void pausedCompletes() throws Exception {
    String name = "dirty-paused";
    Domain domain = nodeA.domainCreateXML(TestDomains.kernel(name, GuestKernels.dirtying()), 0);
    String uuid = domain.getUUIDString();
    domain.free();
    Run run =
        engine(
            MigrationConfiguration.builder()
                .disableTLS(true)
                .bandwidthPerMigration(Quantity.ofMebibytes(16))
                .completionTimeoutPerGiB(SIX_SECONDS_FOR_128_MIB)
                .allowPostCopy(false)
                .allowWorkloadDisruption(true)
                .maxDowntimeMs(1234)
                .build());
    MigrationHandle handle = run.engine.migrate(VirtualMachineInstanceMigration.of("paused", name));
    run.events.await(
        "data moving",
        e -> e instanceof MigrationEvent.Progress p && p.sample().dataProcessed() > 0);
    LibvirtBackend probe = LibvirtBackend.of(hosts.uris());
    toClose.add(probe);
    assertThat(NativeLibvirt.maxDowntimeMillis(probe.host(A).nativePointer(), uuid))
        .as("QEMU's downtime limit during the engine's migration: maxDowntimeMs")
        .isEqualTo(1234);
    MigrationState state = handle.completion().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertSucceeded(state, B);
    assertThat(state.mode()).isEqualTo(MigrationMode.PAUSED);
    assertThat(state.guestLocation()).contains(GuestLocation.TARGET);
    assertThat(state.modeReason())
        .hasValueSatisfying(r -> assertThat(r).contains("allowWorkloadDisruption"));
    assertThat(run.events.all())
        .anyMatch(
            e ->
                e instanceof MigrationEvent.DirectiveApplied d
                    && d.directive() instanceof Directive.PauseGuest);
    assertThat(run.events.all())
        .as("no directive raised the downtime limit above maxDowntimeMs")
        .noneMatch(
            e ->
                e instanceof MigrationEvent.DirectiveApplied d
                    && d.directive() instanceof Directive.SetMaxDowntime t
                    && t.maxDowntime().toMillis() > 1234);
    assertThat(run.events.samples()).anyMatch(s -> s.mode() == MigrationMode.PAUSED);
    assertRunsOnlyOn(name, nodeB, nodeA); // running on B, not paused
  }

  @Test
  @DisplayName("the same guest with auto-converge allowed gets throttled more and more")
  void autoConvergeThrottles() throws Exception {
    String name = "dirty-ac";
    nodeA.domainCreateXML(TestDomains.kernel(name, GuestKernels.dirtying()), 0).free();
    Run run =
        engine(
            MigrationConfiguration.builder()
                .disableTLS(true)
                .allowAutoConverge(true)
                .bandwidthPerMigration(Quantity.ofMebibytes(32))
                .build());
    MigrationHandle handle =
        run.engine.migrate(VirtualMachineInstanceMigration.of("auto-converge", name));
    run.events.await(
        "a throttle above QEMU's first step",
        e ->
            e instanceof MigrationEvent.Progress p
                && p.sample().throttlePercent()
                    > dev.livemigration.core.strategy.Strategies.INITIAL_THROTTLE_PERCENT);
    List<Integer> throttles =
        run.events.samples().stream()
            .map(ProgressSample::throttlePercent)
            .filter(t -> t > 0)
            .toList();
    assertThat(throttles.get(0)).isEqualTo(20);
    assertThat(throttles.get(throttles.size() - 1)).isGreaterThan(throttles.get(0));
    assertThat(throttles).isSorted();
    assertThat(run.events.samples())
        .as("QEMU's dirty rate and passes, read from libvirt's job statistics")
        .anyMatch(s -> s.dirtyRate() > 0 && s.iteration() >= 2);
    run.engine.cancel("default", "auto-converge");
    MigrationState state = handle.completion().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    if (state.failed()) {
      assertThat(state.abortStatus()).contains(AbortStatus.SUCCEEDED);
      assertRunsOnlyOn(name, nodeA, nodeB);
    } else {
      assertRunsOnlyOn(name, nodeB, nodeA); // it converged before the abort took effect
    }
  }

  @Test
  @DisplayName("a domain with a local disk is a BlockMigration and moves with its disk")
  void blockMigration() throws Exception {
    String name = "disk";
    Path image = hosts.imagesDir(A).resolve("disk.qcow2");
    run("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), "32M");
    run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 8M", image.toString());
    nodeA
        .domainCreateXML(TestDomains.withDisk(name, hosts.imagesPathInNode() + "/disk.qcow2"), 0)
        .free();
    Run run =
        engine(
            MigrationConfiguration.builder()
                .disableTLS(true)
                .bandwidthPerMigration(Quantity.ZERO)
                .build());
    VirtualMachineInstance vmi = run.inventory.find("default", name).orElseThrow();
    assertThat(vmi.volumes())
        .singleElement()
        .satisfies(
            volume -> {
              assertThat(volume.name()).isEqualTo("vda");
              assertThat(volume.type()).isEqualTo(VolumeType.HOST_DISK);
              assertThat(volume.size()).isEqualTo(Quantity.ofMebibytes(32));
            });
    assertThat(Admission.method(vmi)).isEqualTo(MigrationMethod.BLOCK_MIGRATION);
    assertThat(run.engine.status("default", name).migrationMethod())
        .contains(MigrationMethod.BLOCK_MIGRATION);

    MigrationState state = run.migrate("default", "block", name, "32 MiB qcow2 disk, unlimited");
    assertSucceeded(state, B);
    assertRunsOnlyOn(name, nodeB, nodeA);
    Domain moved = nodeB.domainLookupByName(name);
    moved.destroy();
    moved.free();
    Path copy = hosts.imagesDir(B).resolve("disk.qcow2");
    run("qemu-img", "compare", "-q", image.toString(), copy.toString());

    String twin = "disk-virsh";
    Path twinImage = hosts.imagesDir(A).resolve("disk-virsh.qcow2");
    run("qemu-img", "create", "-q", "-f", "qcow2", twinImage.toString(), "32M");
    run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 8M", twinImage.toString());
    nodeA
        .domainCreateXML(
            TestDomains.withDisk(twin, hosts.imagesPathInNode() + "/disk-virsh.qcow2"), 0)
        .free();
    virshMigrate(
        "32 MiB qcow2 disk, unlimited",
        twin,
        A,
        B,
        "--bandwidth",
        String.valueOf(MigrationPlan.UNLIMITED_BANDWIDTH_MIB),
        "--copy-storage-all",
        "--migrate-disks",
        "vda");
    assertRunsOnlyOn(twin, nodeB, nodeA);
  }

  @Test
  @DisplayName("a session applies downtime and bandwidth live, refuses post-copy, and aborts")
  void sessionDirectives() throws Exception {
    String name = "steered";
    Domain domain = nodeA.domainCreateXML(TestDomains.kernel(name, GuestKernels.filledIdle()), 0);
    String uuid = domain.getUUIDString();
    domain.free(); // else it keeps nodeA's connection open after close()
    LibvirtBackend backend = LibvirtBackend.of(hosts.uris());
    toClose.add(backend);
    LibvirtInventory inventory = LibvirtInventory.of(backend);
    VirtualMachineInstance vmi = inventory.find("default", name).orElseThrow();
    MigrationConfiguration config =
        MigrationConfiguration.builder()
            .disableTLS(true)
            .bandwidthPerMigration(Quantity.ofMebibytes(1))
            .build();
    MigrationSpec spec =
        new MigrationSpec(
            "uid-steered",
            VirtualMachineInstanceMigration.of("steered", name),
            vmi,
            Admission.method(vmi),
            inventory.nodes().get(0),
            inventory.nodes().get(1),
            config);
    MigrationSession session = backend.open(spec);
    try {
      assertThat(session.prepareTarget().address()).isEqualTo("127.0.0.1");
      session.start(); // returns once QEMU's migration moves data
      ProgressSample sample = session.sample();
      assertThat(sample.status()).isEqualTo(ProgressSample.Status.ACTIVE);
      assertThat(sample.dataTotal()).isGreaterThanOrEqualTo(128L << 20);
      // Read the settings back over a connection of their own, as another client would.
      LibvirtBackend probe = LibvirtBackend.of(hosts.uris());
      toClose.add(probe);
      var pointer = probe.host(A).nativePointer();
      session.apply(new Directive.SetBandwidth(2L << 20));
      assertThat(NativeLibvirt.maxSpeed(pointer, uuid, false)).isEqualTo(2);
      session.apply(new Directive.SetMaxDowntime(Duration.ofMillis(123)));
      assertThat(NativeLibvirt.maxDowntimeMillis(pointer, uuid)).isEqualTo(123);
      session.apply(new Directive.Throttle(40)); // left to QEMU: no error
      // Calls back to back while the migration call blocks all return (they once could hang on
      // a connection shared with that call until the migration ended).
      ExecutorService steering = Executors.newSingleThreadExecutor();
      try {
        Future<ProgressSample> steered =
            steering.submit(
                () -> {
                  ProgressSample latest = null;
                  for (int i = 0; i < 300; i++) {
                    session.apply(new Directive.SetBandwidth(1L << 20));
                    latest = session.sample();
                  }
                  return latest;
                });
        assertThat(steered.get(WAIT.toSeconds(), TimeUnit.SECONDS).status())
            .isEqualTo(ProgressSample.Status.ACTIVE);
      } finally {
        steering.shutdownNow();
      }
      assertThatThrownBy(() -> session.apply(new Directive.SwitchToPostCopy()))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("allowPostCopy false");
      session.abort();
      session.abort();
      ProgressSample last = sample;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (last.status() == ProgressSample.Status.ACTIVE && System.nanoTime() < deadline) {
        Thread.sleep(100);
        last = session.sample();
      }
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.failureReason())
          .hasValueSatisfying(r -> assertThat(r).contains("VIR_ERR_OPERATION_ABORTED"));
    } finally {
      session.close();
    }
    assertRunsOnlyOn(name, nodeA, nodeB);
  }

  // ------------------------------------------------------------------ helpers

  /** 8 MiB/s and a 6 s completion budget: a guest rewriting 64 MiB cannot converge. */
  static MigrationConfiguration.Builder dirtyConfig() {
    return MigrationConfiguration.builder()
        .disableTLS(true)
        .bandwidthPerMigration(Quantity.ofMebibytes(8))
        .completionTimeoutPerGiB(SIX_SECONDS_FOR_128_MIB);
  }

  Run engine(MigrationConfiguration config) {
    Run run = Run.of(hosts.uris(), config);
    toClose.add(run);
    return run;
  }

  /** An engine on the two daemons, with the events it published. */
  record Run(
      MigrationEngine engine,
      LibvirtInventory inventory,
      Scheduler scheduler,
      Events events,
      Map<String, String> uris)
      implements AutoCloseable {

    /** Starts an engine on these hosts, sampling every {@link #SAMPLE_INTERVAL}. */
    static Run of(Map<String, String> uris, MigrationConfiguration config) {
      LibvirtBackend backend = LibvirtBackend.of(uris);
      LibvirtInventory inventory = LibvirtInventory.of(backend);
      Scheduler scheduler = Scheduler.system(4);
      Events events = new Events();
      MigrationEngine engine =
          MigrationEngines.builder()
              .configuration(config)
              .backend(backend)
              .inventory(inventory)
              .scheduler(scheduler)
              .sampleInterval(SAMPLE_INTERVAL)
              .listener(events::add)
              .build();
      return new Run(engine, inventory, scheduler, events, uris);
    }

    /** Migrates and waits; records the figures under {@code figure} if it succeeded. */
    MigrationState migrate(String namespace, String migration, String vmi, String figure)
        throws Exception {
      long started = System.nanoTime();
      MigrationHandle handle =
          engine.migrate(
              VirtualMachineInstanceMigration.builder()
                  .namespace(namespace)
                  .name(migration)
                  .vmiName(vmi)
                  .build());
      MigrationState state = handle.completion().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      long wall = Duration.ofNanos(System.nanoTime() - started).toMillis();
      if (figure != null && !state.failed()) {
        recordFigure(figure, "engine", wall, uris.get(state.targetNode().orElseThrow()), vmi);
      }
      return state;
    }

    @Override
    public void close() {
      engine.close();
      scheduler.close();
    }
  }

  /** The engine's events, in order. */
  static final class Events {
    private final List<MigrationEvent> events = new CopyOnWriteArrayList<>();

    void add(MigrationEvent event) {
      events.add(event);
    }

    List<MigrationEvent> all() {
      return List.copyOf(events);
    }

    List<ProgressSample> samples() {
      return events.stream()
          .filter(e -> e instanceof MigrationEvent.Progress)
          .map(e -> ((MigrationEvent.Progress) e).sample())
          .toList();
    }

    List<ProgressSample> samples(String uid) {
      return events.stream()
          .filter(e -> e instanceof MigrationEvent.Progress && e.migrationUid().equals(uid))
          .map(e -> ((MigrationEvent.Progress) e).sample())
          .toList();
    }

    void await(String what, Predicate<MigrationEvent> condition) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        if (events.stream().anyMatch(condition)) {
          return;
        }
        if (events.stream()
            .anyMatch(
                e -> e instanceof MigrationEvent.Failed || e instanceof MigrationEvent.Succeeded)) {
          throw new AssertionError("the migration ended before " + what + ": " + events);
        }
        Thread.sleep(50);
      }
      throw new AssertionError("no " + what + " within " + WAIT + ": " + events);
    }
  }

  static void assertSucceeded(MigrationState state, String target) {
    assertThat(state.failureReason()).isEmpty();
    assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    assertThat(state.completed()).isTrue();
    assertThat(state.failed()).isFalse();
    assertThat(state.targetNode()).contains(target);
    assertThat(state.targetNodeDomainDetected()).isTrue();
  }

  /** Asserts (within a few seconds, as libvirt cleans up) where a domain runs and where not. */
  static void assertRunsOnlyOn(String name, Connect on, Connect notOn) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    AssertionError last = null;
    while (System.nanoTime() < deadline) {
      try {
        Domain domain = on.domainLookupByName(name);
        try {
          assertThat(domain.getInfo().state).isEqualTo(DomainState.VIR_DOMAIN_RUNNING);
        } finally {
          domain.free(); // an unfreed domain keeps its connection open after close()
        }
        for (int id : notOn.listDomains()) {
          Domain other = notOn.domainLookupByID(id);
          try {
            assertThat(other.getName()).as("a domain on the other node").isNotEqualTo(name);
          } finally {
            other.free();
          }
        }
        return;
      } catch (AssertionError e) {
        last = e;
      } catch (LibvirtException e) {
        last = new AssertionError(e.getMessage(), e);
      }
      Thread.sleep(200);
    }
    throw last;
  }

  /** Runs {@code virsh migrate} with the engine's flags for the same migration and records it. */
  void virshMigrate(String figure, String name, String from, String to, String... extra)
      throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                "virsh",
                "-c",
                hosts.uri(from),
                "migrate",
                "--live",
                "--p2p",
                "--listen-address",
                "127.0.0.1"));
    command.addAll(List.of(extra));
    command.addAll(List.of(name, hosts.uri(to), "tcp://127.0.0.1"));
    long started = System.nanoTime();
    run(command.toArray(String[]::new));
    long wall = Duration.ofNanos(System.nanoTime() - started).toMillis();
    recordFigure(figure, "virsh migrate " + String.join(" ", extra), wall, hosts.uri(to), name);
  }

  /** Records a migration with the job time and downtime of libvirt's completed-job statistics. */
  static void recordFigure(String figure, String tool, long wall, String targetUri, String name) {
    String info = run("virsh", "-c", targetUri, "domjobinfo", "--completed", name);
    Figures.record(
        figure, tool, wall, millis(info, "Time elapsed:"), millis(info, "Total downtime:"));
  }

  static Optional<Long> millis(String info, String label) {
    Matcher matcher = Pattern.compile(Pattern.quote(label) + "\\s+(\\d+)\\s+ms").matcher(info);
    return matcher.find() ? Optional.of(Long.parseLong(matcher.group(1))) : Optional.empty();
  }

  static String run(String... command) {
    return LibvirtDaemons.run(WAIT, List.of(command));
  }
}
