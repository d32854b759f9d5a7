package dev.livemigration.testkit;

import static dev.livemigration.testkit.junit.MigrationAssertions.assertThatMigration;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The stall rule on real bytes: the data plane moves a guest's pages over loopback under a
 * bandwidth limit while the guest writes, and the engine watches the passes.
 */
@DisplayName("Stalls on real bytes")
class RealBytesStallTest {
  private static final Duration PATIENCE = Duration.ofMinutes(3);
  private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(2);

  private final RealBytesCluster cluster =
      RealBytesCluster.withNodes(2).sampleInterval(Duration.ofMillis(100));

  @AfterEach
  void close() {
    cluster.close();
  }

  private void configure(boolean allowWorkloadDisruption) {
    cluster.configure(
        MigrationConfiguration.builder()
            .bandwidthPerMigration(Quantity.parse("4Mi"))
            .progressTimeout(PROGRESS_TIMEOUT)
            .allowWorkloadDisruption(allowWorkloadDisruption)
            .disableTLS(true)
            .build());
  }

  private MigrationHandle migrate(String vmi) {
    return cluster.engine().migrate(VirtualMachineInstanceMigration.of("move-" + vmi, vmi));
  }

  private List<ProgressSample> samples(MigrationHandle handle) {
    return cluster.events().stream()
        .filter(e -> e.migrationUid().equals(handle.uid()))
        .filter(e -> e instanceof MigrationEvent.Progress)
        .map(e -> ((MigrationEvent.Progress) e).sample())
        .toList();
  }

  @Test
  @DisplayName("a converging guest whose second pass outlasts progressTimeout completes")
  void longSecondPassCompletes() {
    // 48 MiB at 4 MiB/s: pass 1 takes 12 s; the guest writes 2 MiB/s over all of its memory, so
    // pass 2 starts at about 19 MiB and takes about 5 s, more than twice the progress timeout.
    configure(false);
    cluster.addVmi(
        "vmi-long",
        vmi ->
            vmi.memory("48Mi").dirtyRate("2Mi").workingSet("48Mi").pattern(DirtyPattern.UNIFORM));

    MigrationHandle handle = migrate("vmi-long");

    assertThatMigration(handle).succeedsWithin(PATIENCE).hasIdenticalMemory(cluster);
    // The case KubeVirt's low-water mark aborts: pass 2 started above pass 1's lowest remainder
    // and lasted longer than progressTimeout.
    List<ProgressSample> samples = samples(handle);
    long lowOfPass1 =
        samples.stream()
            .filter(s -> s.iteration() == 1)
            .mapToLong(ProgressSample::dataRemaining)
            .min()
            .orElseThrow();
    List<ProgressSample> pass2 = samples.stream().filter(s -> s.iteration() == 2).toList();
    assertThat(pass2).isNotEmpty();
    assertThat(pass2.get(0).dataRemaining()).isGreaterThan(lowOfPass1);
    Duration pass2Length = pass2.get(pass2.size() - 1).elapsed().minus(pass2.get(0).elapsed());
    assertThat(pass2Length).isGreaterThan(PROGRESS_TIMEOUT);
  }

  @Test
  @DisplayName("a guest that dirties faster than the link is declared stalled and stays home")
  void fasterThanTheLinkIsStalled() {
    configure(false);
    cluster.addVmi(
        "vmi-hot",
        vmi ->
            vmi.memory("16Mi").dirtyRate("16Mi").workingSet("16Mi").pattern(DirtyPattern.UNIFORM));
    String digestBefore = cluster.memory("vmi-hot").digestHex();

    MigrationHandle handle = migrate("vmi-hot");

    assertThat(handle.completion()).succeedsWithin(PATIENCE);
    assertThatMigration(handle).failedWith("stalled");
    assertThat(handle.state().guestLocation()).contains(GuestLocation.SOURCE);
    assertThat(cluster.nodeOf("vmi-hot")).isEqualTo("node01");
    assertThat(cluster.memory("vmi-hot").isClosed()).isFalse();
    assertThat(cluster.memory("vmi-hot").digestHex())
        .as("the guest kept writing on the source")
        .isNotEqualTo(digestBefore);
  }

  @Test
  @DisplayName("the same guest is paused when workload disruption is allowed, and arrives intact")
  void fasterThanTheLinkIsPaused() {
    configure(true);
    cluster.addVmi(
        "vmi-hot",
        vmi ->
            vmi.memory("16Mi").dirtyRate("16Mi").workingSet("16Mi").pattern(DirtyPattern.UNIFORM));

    MigrationHandle handle = migrate("vmi-hot");

    assertThatMigration(handle)
        .succeedsWithin(PATIENCE)
        .endedInMode(MigrationMode.PAUSED)
        .hasIdenticalMemory(cluster);
    assertThat(handle.state().modeReason().orElseThrow())
        .contains("stalled")
        .contains("pausing the guest");
    assertThat(cluster.nodeOf("vmi-hot")).isEqualTo("node02");
  }
}
