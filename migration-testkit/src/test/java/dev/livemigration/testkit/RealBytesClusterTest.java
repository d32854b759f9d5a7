package dev.livemigration.testkit;

import static dev.livemigration.testkit.junit.MigrationAssertions.assertThatEvents;
import static dev.livemigration.testkit.junit.MigrationAssertions.assertThatMigration;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.Drain;
import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VolumeType;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.core.dataplane.PagedMemory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A real-bytes cluster")
class RealBytesClusterTest {
  private static final Duration PATIENCE = Duration.ofMinutes(2);

  private final RealBytesCluster cluster =
      RealBytesCluster.withNodes(3).sampleInterval(Duration.ofMillis(100));

  @AfterEach
  void close() {
    cluster.close();
  }

  private MigrationHandle migrate(String vmi) {
    return cluster.engine().migrate(VirtualMachineInstanceMigration.of("move-" + vmi, vmi));
  }

  @Test
  @DisplayName("tells its listeners and runs its backend hooks, like the virtual-time cluster")
  void listenersAndHooks() throws InterruptedException {
    List<MigrationEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    cluster
        .listener(seen::add)
        .wrapBackend(
            BackendHooks.none()
                .before(
                    BackendHooks.Step.START,
                    spec -> {
                      if (spec.vmi().name().equals("vmi-broken")) {
                        throw new dev.livemigration.api.spi.BackendException("disk full");
                      }
                    }))
        .addVmi("vmi-broken", vmi -> vmi.memory("4Mi"))
        .addVmi("vmi-fine", vmi -> vmi.memory("4Mi"));

    MigrationHandle broken = migrate("vmi-broken");
    MigrationHandle fine = migrate("vmi-fine");

    assertThatMigration(fine).succeedsWithin(PATIENCE).hasIdenticalMemory(cluster);
    assertThat(cluster.awaitIdle(PATIENCE)).isTrue();
    assertThatMigration(broken).failedWith("disk full");
    assertThat(cluster.nodeOf("vmi-broken")).isEqualTo("node01");
    // The end events may reach the listeners just after the handles complete.
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (ends(seen) < 2 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(ends(seen)).isEqualTo(2);
    // Two migrations publish from two threads: each one's events keep their order, the
    // interleaving of the two may differ between the listener and events().
    assertThat(seen).containsExactlyInAnyOrderElementsOf(cluster.events());
    for (MigrationHandle handle : List.of(broken, fine)) {
      assertThat(seen.stream().filter(e -> e.migrationUid().equals(handle.uid())).toList())
          .containsExactlyElementsOf(
              cluster.events().stream()
                  .filter(e -> e.migrationUid().equals(handle.uid()))
                  .toList());
    }
  }

  private static long ends(List<MigrationEvent> events) {
    return events.stream()
        .filter(e -> e instanceof MigrationEvent.Succeeded || e instanceof MigrationEvent.Failed)
        .count();
  }

  @Test
  @DisplayName("moves a guest's memory over TLS to the target node's loopback address, intact")
  void movesMemoryOverTls() {
    cluster.addVmi("vmi-fedora", vmi -> vmi.on("node01").memory("16Mi"));
    PagedMemory before = cluster.memory("vmi-fedora");
    String content = before.digestHex();

    MigrationHandle handle = migrate("vmi-fedora");

    assertThatMigration(handle).succeedsWithin(PATIENCE).hasIdenticalMemory(cluster);
    String target = cluster.nodeOf("vmi-fedora");
    assertThat(target).isNotEqualTo("node01");
    assertThat(handle.state().targetNodeAddress())
        .contains("127.0.0." + Integer.parseInt(target.substring(4)));
    assertThat(cluster.backend().agentAddress(target, "tls")).isPresent();
    PagedMemory after = cluster.memory("vmi-fedora");
    assertThat(after).isNotSameAs(before);
    assertThat(before.isClosed()).as("the source memory is freed").isTrue();
    assertThat(after.digestHex()).isEqualTo(content);
    assertThat(cluster.handoff(handle).orElseThrow().postCopy()).isFalse();
  }

  @Test
  @DisplayName("a busy guest converges under the bandwidth limit and keeps working on its target")
  void busyGuestKeepsWorking() throws InterruptedException {
    cluster.configure(
        MigrationConfiguration.builder()
            .bandwidthPerMigration(Quantity.parse("64Mi"))
            .disableTLS(true)
            .build());
    cluster.addVmi(
        "vmi-busy",
        vmi -> vmi.memory("32Mi").dirtyRate("4Mi").workingSet("8Mi").pattern(DirtyPattern.UNIFORM));

    MigrationHandle handle = migrate("vmi-busy");

    assertThatMigration(handle).succeedsWithin(PATIENCE).hasIdenticalMemory(cluster);
    assertThatEvents(cluster.events()).downtimeBelow(Duration.ofSeconds(5)).eachMigrationEndsOnce();
    PagedMemory target = cluster.memory("vmi-busy");
    long writes = cluster.guest("vmi-busy").writes();
    String digest = target.digestHex();
    Instant deadline = Instant.now().plus(PATIENCE);
    while (cluster.guest("vmi-busy").writes() < writes + 100 && Instant.now().isBefore(deadline)) {
      Thread.sleep(10);
    }
    assertThat(cluster.guest("vmi-busy").writes()).isGreaterThanOrEqualTo(writes + 100);
    assertThat(target.digestHex()).as("the guest writes on its target").isNotEqualTo(digest);
  }

  @Test
  @DisplayName("migrates over the migration network's addresses when the configuration names one")
  void usesTheMigrationNetwork() {
    cluster.configure(
        MigrationConfiguration.builder().network("migration-network").disableTLS(true).build());
    cluster.node("node02", node -> node.migrationAddress("127.0.1.12"));
    cluster.node("node03", node -> node.unschedulable());
    cluster.addVmi("vmi-fedora", vmi -> vmi.memory("8Mi"));

    MigrationHandle handle = migrate("vmi-fedora");

    assertThatMigration(handle)
        .succeedsWithin(PATIENCE)
        .wentTo("node02")
        .hasIdenticalMemory(cluster);
    assertThat(handle.state().targetNodeAddress()).contains("127.0.1.12");
    assertThat(cluster.backend().agentAddress("node02", "tcp"))
        .map(InetSocketAddress::getHostString)
        .contains("127.0.1.12");
  }

  @Test
  @DisplayName("switches a guest that does not converge to post-copy, which moves it intact")
  void postCopy() {
    cluster.configure(
        MigrationConfiguration.builder()
            .bandwidthPerMigration(Quantity.parse("16Mi"))
            .completionTimeoutPerGiB(Duration.ofSeconds(32))
            .allowPostCopy(true)
            .disableTLS(true)
            .build());
    cluster.addVmi(
        "vmi-db", vmi -> vmi.memory("32Mi").dirtyRate("48Mi").pattern(DirtyPattern.UNIFORM));

    MigrationHandle handle = migrate("vmi-db");

    assertThatMigration(handle)
        .succeedsWithin(PATIENCE)
        .endedInMode(MigrationMode.POST_COPY)
        .hasIdenticalMemory(cluster);
    assertThat(cluster.handoff(handle).orElseThrow().postCopy()).isTrue();
  }

  @Test
  @DisplayName("copies node-local disks with the memory in a block migration")
  void blockMigration() {
    cluster.configure(MigrationConfiguration.builder().disableTLS(true).build());
    cluster.addVmi(
        "vmi-scratch", vmi -> vmi.memory("8Mi").localDisk("scratch", VolumeType.EMPTY_DISK, "4Mi"));
    PagedMemory disk =
        (PagedMemory) cluster.backend().disk("default", "vmi-scratch", "scratch").orElseThrow();
    String content = disk.digestHex();

    MigrationHandle handle = migrate("vmi-scratch");

    assertThatMigration(handle).succeedsWithin(PATIENCE).hasIdenticalMemory(cluster);
    PagedMemory moved =
        (PagedMemory) cluster.backend().disk("default", "vmi-scratch", "scratch").orElseThrow();
    assertThat(moved).isNotSameAs(disk);
    assertThat(disk.isClosed()).isTrue();
    assertThat(moved.digestHex()).isEqualTo(content);
  }

  @Test
  @DisplayName("drains a node under the limits, every guest's memory intact")
  void drainsUnderLimits() {
    cluster.configure(
        MigrationConfiguration.builder()
            .parallelMigrationsPerCluster(2)
            .parallelOutboundMigrationsPerNode(1)
            .disableTLS(true)
            .build());
    for (int i = 1; i <= 3; i++) {
      cluster.addVmi(
          "vmi-" + i, vmi -> vmi.memory("8Mi").dirtyRate("1Mi").pattern(DirtyPattern.UNIFORM));
    }
    cluster.taint("node01", "kubevirt.io/drain");

    Drain drain = cluster.engine().drain("node01");

    assertThat(drain.migrations()).hasSize(3);
    for (MigrationHandle handle : drain.migrations()) {
      assertThatMigration(handle).succeedsWithin(PATIENCE).hasIdenticalMemory(cluster);
      assertThat(cluster.nodeOf(handle.request().vmiName())).isNotEqualTo("node01");
    }
    assertThatEvents(cluster.events()).eachMigrationEndsOnce().neverExceeds(2, 1);
  }

  @Test
  @DisplayName("refuses a guest whose memory is not whole pages, naming the VMI")
  void refusesPartialPages() {
    assertThatThrownBy(() -> cluster.addVmi("vmi-odd", vmi -> vmi.memory("1000")))
        .isInstanceOf(InvalidValueException.class)
        .hasMessage(
            "vmis[default/vmi-odd].memory must be a positive multiple of 4Ki for a guest with real"
                + " memory, but was '1000'");
  }
}
