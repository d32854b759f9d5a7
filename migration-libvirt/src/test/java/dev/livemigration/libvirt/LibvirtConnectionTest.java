package dev.livemigration.libvirt;

import static dev.livemigration.libvirt.LibvirtMigrationTest.A;
import static dev.livemigration.libvirt.LibvirtMigrationTest.B;
import static dev.livemigration.libvirt.LibvirtMigrationTest.WAIT;
import static dev.livemigration.libvirt.LibvirtMigrationTest.assertRunsOnlyOn;
import static dev.livemigration.libvirt.LibvirtMigrationTest.assertSucceeded;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.libvirt.LibvirtDaemons.Hosts;
import dev.livemigration.libvirt.LibvirtMigrationTest.Run;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * How the backend holds its connections to the libvirt hosts, and what becomes of a migration when
 * libvirt fails or a host goes away, through the engine against the two private daemons.
 */
@ExtendWith(LibvirtDaemons.class)
@DisplayName("Connections to libvirt hosts and libvirt's failures, through the engine")
class LibvirtConnectionTest {
  private final List<Run> runs = new ArrayList<>();
  private Hosts hosts;

  @BeforeEach
  void setUp(Hosts hosts) {
    this.hosts = hosts;
  }

  @AfterEach
  void cleanUp() {
    runs.forEach(Run::close);
    hosts.destroyAllDomains();
  }

  private Run engine(Map<String, String> uris, MigrationConfiguration config) {
    Run run = Run.of(uris, config);
    runs.add(run);
    return run;
  }

  /** Starts a transient domain on a node. */
  static void create(Hosts hosts, String node, String xml) throws LibvirtException {
    Connect connection = new Connect(hosts.uri(node));
    try {
      connection.domainCreateXML(xml, 0).free();
    } finally {
      connection.close();
    }
  }

  /** Asserts where a domain runs, over connections of its own (the daemons may have restarted). */
  static void assertOnlyOn(Hosts hosts, String name, String on, String notOn) throws Exception {
    Connect yes = new Connect(hosts.uri(on));
    Connect no = new Connect(hosts.uri(notOn));
    try {
      assertRunsOnlyOn(name, yes, no);
    } finally {
      yes.close();
      no.close();
    }
  }

  /** Waits until the number of this process's connections to a node's daemon satisfies a test. */
  private int awaitOwnConnections(String node, IntPredicate expected) throws InterruptedException {
    long pid = ProcessHandle.current().pid();
    long deadline = System.nanoTime() + WAIT.toNanos();
    int count;
    do {
      count = (int) hosts.unixClientPids(node).stream().filter(p -> p == pid).count();
      if (expected.test(count)) {
        return count;
      }
      Thread.sleep(100); // the daemon drops a closed client from its list a moment later
    } while (System.nanoTime() < deadline);
    return count;
  }

  @Test
  @DisplayName("one connection per host, reused by every migration, closed when the engine closes")
  void oneConnectionPerHost() throws Exception {
    String name = "conn";
    create(hosts, A, TestDomains.idle(name));
    int before = awaitOwnConnections(A, n -> true);
    int beforeB = awaitOwnConnections(B, n -> true);
    Run run =
        engine(
            hosts.uris(),
            MigrationConfiguration.builder()
                .disableTLS(true)
                .bandwidthPerMigration(Quantity.ZERO)
                .build());
    assertSucceeded(run.migrate("default", "there", name, null), B);
    assertSucceeded(run.migrate("default", "back", name, null), A);
    assertThat(run.inventory().virtualMachineInstances()).isNotEmpty();

    assertThat(awaitOwnConnections(A, n -> n == before + 1))
        .as("connections of this process to node-a after two migrations and inventory reads")
        .isEqualTo(before + 1);
    assertThat(awaitOwnConnections(B, n -> n == beforeB + 1))
        .as("connections of this process to node-b")
        .isEqualTo(beforeB + 1);

    run.close();
    assertThat(awaitOwnConnections(A, n -> n == before))
        .as("connections to node-a after the engine closed")
        .isEqualTo(before);
    assertThat(awaitOwnConnections(B, n -> n == beforeB))
        .as("connections to node-b after the engine closed")
        .isEqualTo(beforeB);
  }

  @Test
  @DisplayName("a libvirt error fails the migration with libvirt's message and code in the reason")
  void libvirtErrorInReason() throws Exception {
    String name = "tls";
    create(hosts, A, TestDomains.idle(name));
    // TLS is on by default, and the private daemons have no migration certificates.
    Run run = engine(hosts.uris(), MigrationConfiguration.defaults());
    MigrationState state = run.migrate("default", "tls", name, null);
    assertThat(state.failed()).isTrue();
    assertThat(state.failureReason())
        .hasValueSatisfying(
            reason ->
                assertThat(reason)
                    .contains("migrating domain 'tls' from node-a to node-b failed: ")
                    .containsPattern("\\(libvirt error [1-9]\\d* VIR_ERR_\\w+\\)"));
    assertOnlyOn(hosts, name, A, B);
  }

  @Test
  @DisplayName(
      "losing the source host mid-migration fails the migration cleanly; once it is back, the"
          + " same engine reconnects and migrates")
  void lostSourceHost() throws Exception {
    String name = "lost";
    create(hosts, A, TestDomains.kernel(name, GuestKernels.filledIdle()));
    Run run =
        engine(
            hosts.tcpUris(),
            MigrationConfiguration.builder()
                .disableTLS(true)
                .bandwidthPerMigration(Quantity.ofMebibytes(1))
                .build());
    MigrationHandle handle = run.engine().migrate(VirtualMachineInstanceMigration.of("lost", name));
    run.events()
        .await(
            "data moving",
            e -> e instanceof MigrationEvent.Progress p && p.sample().dataProcessed() > 0);
    MigrationState running = handle.state();
    assertThat(running.targetNodeAddress()).contains("127.0.0.1");
    assertThat(running.targetDirectMigrationNodePorts())
        .as("the target daemon's port carries libvirt's own migration channel")
        .containsExactly(Map.entry(hosts.tcpPort(B), 0));

    hosts.kill(A);
    MigrationState state;
    try {
      state = handle.completion().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      hosts.restart(A);
    }
    assertThat(state.failed()).isTrue();
    assertThat(state.completed()).isTrue();
    assertThat(state.abortRequested()).isFalse();
    assertThat(state.failureReason())
        .hasValueSatisfying(
            reason -> assertThat(reason).containsPattern("\\(libvirt error \\d+ VIR_ERR_\\w+\\)"));
    assertOnlyOn(hosts, name, A, B);

    run.engine()
        .reconfigure(
            MigrationConfiguration.builder()
                .disableTLS(true)
                .bandwidthPerMigration(Quantity.ZERO)
                .build());
    assertSucceeded(run.migrate("default", "again", name, null), B);
    assertOnlyOn(hosts, name, B, A);
  }
}
