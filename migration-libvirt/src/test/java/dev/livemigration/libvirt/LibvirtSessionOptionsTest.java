package dev.livemigration.libvirt;

import static dev.livemigration.libvirt.LibvirtMigrationTest.A;
import static dev.livemigration.libvirt.LibvirtMigrationTest.B;
import static dev.livemigration.libvirt.LibvirtMigrationTest.WAIT;
import static dev.livemigration.libvirt.LibvirtMigrationTest.assertRunsOnlyOn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.Directive;
import dev.livemigration.api.DowntimeTuning;
import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationCompression;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.core.Admission;
import dev.livemigration.libvirt.LibvirtDaemons.Hosts;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Domain.DomainMigrateParameters;
import org.libvirt.Domain.MigrateFlags;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.LibvirtException;

/**
 * What a libvirt session sets up from the migration's configuration, read back from the daemons
 * with real QEMU guests: the initial downtime limit, the guest pause of KubeVirt's {@code Paused}
 * mode, and compression. The sessions are driven directly (no engine), so that each directive is
 * applied at a known moment; nothing asserts on timing.
 */
@ExtendWith(LibvirtDaemons.class)
@DisplayName("libvirt sessions: initial downtime, PauseGuest, compression (real QEMU)")
class LibvirtSessionOptionsTest {
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

  @Test
  @DisplayName("QEMU's downtime limit starts at maxDowntimeMs, or at the ramp's initialMs")
  void initialDowntime() throws Exception {
    // maxDowntimeMs alone: QEMU's limit is that (libvirt's and QEMU's default would be 300 ms).
    assertThat(initialDowntimeOf("downtime-max", throttled().maxDowntimeMs(1234).build()))
        .isEqualTo(1234);
    // With a ramp, the engine raises it later with SetMaxDowntime; it starts at initialMs.
    assertThat(
            initialDowntimeOf(
                "downtime-ramp",
                throttled()
                    .maxDowntimeMs(1234)
                    .experimental(
                        ExperimentalMigrationOptions.builder()
                            .downtimeTuning(DowntimeTuning.builder().initialMs(210).build())
                            .build())
                    .build()))
        .isEqualTo(210);
  }

  /** Starts a migration of a filled idle guest, reads the downtime limit, aborts it. */
  long initialDowntimeOf(String name, MigrationConfiguration config) throws Exception {
    String uuid = createOnA(name, TestDomains.kernel(name, GuestKernels.filledIdle()));
    MigrationSession session = open(name, config);
    try {
      session.start(); // returns once QEMU's migration moves data
      // Read back over a connection of its own, as another client would.
      long downtime = NativeLibvirt.maxDowntimeMillis(probe().host(A).nativePointer(), uuid);
      session.abort();
      ProgressSample last = awaitSample(session, s -> s.status() != ProgressSample.Status.ACTIVE);
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      return downtime;
    } finally {
      session.close();
      assertRunsOnlyOn(name, nodeA, nodeB);
    }
  }

  @Test
  @DisplayName("PauseGuest: a guest that cannot converge completes paused and runs on the target")
  void pauseGuestCompletes() throws Exception {
    String name = "pause-done";
    createOnA(name, TestDomains.kernel(name, GuestKernels.dirtying()));
    MigrationSession session = open(name, dirtying(16).build());
    try {
      session.start();
      // Its 64 MiB working set is rewritten far faster than 16 MiB/s: pre-copy alone would run
      // until a timeout (LibvirtMigrationTest.preCopyTimesOut).
      ProgressSample running = awaitSample(session, s -> s.iteration() >= 2);
      assertThat(running.status()).isEqualTo(ProgressSample.Status.ACTIVE);
      assertThat(running.mode()).isEqualTo(MigrationMode.PRE_COPY);
      session.apply(new Directive.PauseGuest());
      assertThat(state(nodeA, name)).isEqualTo(DomainState.VIR_DOMAIN_PAUSED);
      ProgressSample paused = session.sample();
      assertThat(paused.mode()).isEqualTo(MigrationMode.PAUSED);
      session.apply(new Directive.PauseGuest()); // once is enough: no error
      ProgressSample last = awaitSample(session, s -> s.status() != ProgressSample.Status.ACTIVE);
      assertThat(last.failureReason()).isEmpty();
      assertThat(last.status()).isEqualTo(ProgressSample.Status.COMPLETED);
      assertThat(last.mode()).isEqualTo(MigrationMode.PAUSED);
      assertThat(last.guestLocation()).contains(GuestLocation.TARGET);
    } finally {
      session.close();
    }
    assertRunsOnlyOn(name, nodeB, nodeA); // running, not paused
  }

  @Test
  @DisplayName("PauseGuest then Abort: the guest runs again on the source")
  void abortAfterPause() throws Exception {
    String name = "pause-abort";
    createOnA(name, TestDomains.kernel(name, GuestKernels.dirtying()));
    MigrationSession session = open(name, dirtying(4).build());
    try {
      session.start();
      session.apply(new Directive.PauseGuest());
      assertThat(session.sample().mode()).isEqualTo(MigrationMode.PAUSED);
      session.apply(new Directive.Abort("test"));
      ProgressSample last = awaitSample(session, s -> s.status() != ProgressSample.Status.ACTIVE);
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.failureReason())
          .hasValueSatisfying(r -> assertThat(r).contains("VIR_ERR_OPERATION_ABORTED"));
      assertThat(last.guestLocation()).contains(GuestLocation.SOURCE);
    } finally {
      session.close();
    }
    assertRunsOnlyOn(name, nodeA, nodeB); // running, not paused
  }

  @Test
  @DisplayName("PauseGuest through a resumed session: completes and runs on the target")
  void pauseGuestResumed() throws Exception {
    String name = "pause-resumed";
    createOnA(name, TestDomains.kernel(name, GuestKernels.dirtying()));
    MigrationConfiguration config = dirtying(16).build();
    MigrationSession first = open(name, config);
    try {
      first.start();
      // Another backend (another engine's) takes the running job over.
      LibvirtBackend other = LibvirtBackend.of(hosts.uris());
      toClose.add(other);
      MigrationSession resumed = other.resume(lastSpec, first.resumeData()).orElseThrow();
      assertThat(resumed.sample().mode()).isEqualTo(MigrationMode.PRE_COPY);
      resumed.apply(new Directive.PauseGuest());
      assertThat(state(nodeA, name)).isEqualTo(DomainState.VIR_DOMAIN_PAUSED);
      ProgressSample last = awaitSample(resumed, s -> s.status() != ProgressSample.Status.ACTIVE);
      assertThat(last.failureReason()).isEmpty();
      assertThat(last.status()).isEqualTo(ProgressSample.Status.COMPLETED);
      assertThat(last.mode()).isEqualTo(MigrationMode.PAUSED);
      assertThat(last.guestLocation()).contains(GuestLocation.TARGET);
      resumed.close();
    } finally {
      first.close();
    }
    assertRunsOnlyOn(name, nodeB, nodeA);
  }

  @Test
  @DisplayName("compression zstd: multifd zstd where libvirt takes it, else a plain migration")
  void zstdCompression() throws Exception {
    String name = "zstd";
    createOnA(name, TestDomains.kernel(name, GuestKernels.filledIdle()));
    MigrationConfiguration config =
        MigrationConfiguration.builder()
            .disableTLS(true)
            .bandwidthPerMigration(Quantity.ZERO)
            .experimental(
                ExperimentalMigrationOptions.builder()
                    .compression(MigrationCompression.ZSTD)
                    .build())
            .build();
    long version = Math.min(nodeA.getLibVersion(), nodeB.getLibVersion());
    boolean supported = version >= MigrationPlan.MULTIFD_ZSTD_SINCE;
    LibvirtSession session = (LibvirtSession) open(name, config);
    try {
      session.start();
      MigrationPlan plan = session.plan();
      assertThat(plan).isNotNull();
      assertThat(plan.has(MigrateFlags.PARALLEL | MigrateFlags.COMPRESSED)).isEqualTo(supported);
      assertThat(plan.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_COMPRESSION))
          .isEqualTo(supported ? List.of("zstd") : List.of());
      ProgressSample last = awaitSample(session, s -> s.status() != ProgressSample.Status.ACTIVE);
      assertThat(last.failureReason()).isEmpty();
      assertThat(last.status()).isEqualTo(ProgressSample.Status.COMPLETED);
      assertThat(last.dataTotal()).isGreaterThanOrEqualTo(128L << 20);
    } finally {
      session.close();
    }
    assertRunsOnlyOn(name, nodeB, nodeA);
    if (!supported) {
      // The fallback is needed: this libvirt refuses zstd (QEMU 7.2 itself has multifd zstd).
      String twin = "zstd-virsh";
      createOnA(twin, TestDomains.idle(twin));
      List<String> virsh =
          List.of(
              "virsh",
              "-c",
              hosts.uri(A),
              "migrate",
              "--live",
              "--p2p",
              "--parallel",
              "--compressed",
              "--comp-methods",
              "zstd",
              twin,
              hosts.uri(B),
              "tcp://127.0.0.1");
      assertThatThrownBy(() -> LibvirtDaemons.run(WAIT, virsh))
          .as(
              "virsh migrate --parallel --compressed --comp-methods zstd on libvirt %s",
              MigrationPlan.version(version))
          .hasMessageContaining("Unsupported compression method 'zstd'");
      assertRunsOnlyOn(twin, nodeA, nodeB);
    }
  }

  // ------------------------------------------------------------------ helpers

  /** A guest rewriting 64 MiB cannot converge at this bandwidth, in MiB/s. */
  static MigrationConfiguration.Builder dirtying(long mibPerSecond) {
    return MigrationConfiguration.builder()
        .disableTLS(true)
        .bandwidthPerMigration(Quantity.ofMebibytes(mibPerSecond));
  }

  static DomainState state(Connect node, String name) throws LibvirtException {
    Domain domain = node.domainLookupByName(name);
    try {
      return domain.getInfo().state;
    } finally {
      domain.free();
    }
  }

  /** 1 MiB/s: a 64 MiB guest takes about a minute, so the job is still running when read. */
  static MigrationConfiguration.Builder throttled() {
    return MigrationConfiguration.builder()
        .disableTLS(true)
        .bandwidthPerMigration(Quantity.ofMebibytes(1));
  }

  String createOnA(String name, String xml) throws LibvirtException {
    Domain domain = nodeA.domainCreateXML(xml, 0);
    try {
      return domain.getUUIDString();
    } finally {
      domain.free(); // else it keeps nodeA's connection open after close()
    }
  }

  LibvirtBackend backend;
  MigrationSpec lastSpec;
  LibvirtBackend probe;

  LibvirtBackend backend() {
    if (backend == null) {
      backend = LibvirtBackend.of(hosts.uris());
      toClose.add(backend);
    }
    return backend;
  }

  LibvirtBackend probe() {
    if (probe == null) {
      probe = LibvirtBackend.of(hosts.uris());
      toClose.add(probe);
    }
    return probe;
  }

  MigrationSession open(String name, MigrationConfiguration config) {
    LibvirtInventory inventory = LibvirtInventory.of(backend());
    VirtualMachineInstance vmi = inventory.find("default", name).orElseThrow();
    MigrationSpec spec =
        new MigrationSpec(
            "uid-" + name,
            VirtualMachineInstanceMigration.of(name, name),
            vmi,
            Admission.method(vmi),
            inventory.nodes().get(0),
            inventory.nodes().get(1),
            config);
    lastSpec = spec;
    MigrationSession session = backend().open(spec);
    session.prepareTarget();
    return session;
  }

  /** Samples every 100 ms until a sample matches (or {@link LibvirtMigrationTest#WAIT}). */
  static ProgressSample awaitSample(MigrationSession session, Predicate<ProgressSample> condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    ProgressSample last = session.sample();
    while (!condition.test(last) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      last = session.sample();
    }
    return last;
  }
}
