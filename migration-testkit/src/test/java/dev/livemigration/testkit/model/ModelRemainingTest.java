package dev.livemigration.testkit.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.Node;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.core.ManualScheduler;
import dev.livemigration.testkit.SimulatedCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The model's remaining data is what a hypervisor reports: the pages the current pass has yet to
 * send, never more than the guest's memory; a page dirtied before it was sent is not counted twice.
 */
@DisplayName("The model's remaining data")
class ModelRemainingTest {
  private static final long MI = 1L << 20;

  @Test
  @DisplayName(
      "shrinks through a 32Gi guest's whole first pass when it dirties faster than the link")
  void shrinksThroughTheFirstPass() {
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
      cluster.configure(
          MigrationConfiguration.builder().bandwidthPerMigration(Quantity.parse("64Mi")).build());
      cluster.addVmi("vmi-big", vmi -> vmi.memory("32Gi").dirtyRate("70Mi"));
      Instant start = cluster.time().now();
      MigrationHandle handle =
          cluster.engine().migrate(VirtualMachineInstanceMigration.of("move-big", "vmi-big"));
      cluster.runUntilIdle();

      List<ProgressSample> samples =
          cluster.events().stream()
              .filter(MigrationEvent.Progress.class::isInstance)
              .map(event -> ((MigrationEvent.Progress) event).sample())
              .toList();
      assertThat(samples).isNotEmpty();
      assertThat(samples)
          .allSatisfy(
              sample -> assertThat(sample.dataRemaining()).isLessThanOrEqualTo(sample.dataTotal()));
      List<ProgressSample> firstPass = samples.stream().filter(s -> s.iteration() == 1).toList();
      assertThat(firstPass.get(firstPass.size() - 1).elapsed())
          .as("the first pass (32Gi at 64Mi/s) lasts about 512 s")
          .isGreaterThan(Duration.ofSeconds(500));
      for (int i = 1; i < firstPass.size(); i++) {
        assertThat(firstPass.get(i).dataRemaining())
            .as("remaining at %s", firstPass.get(i).elapsed())
            .isLessThan(firstPass.get(i - 1).dataRemaining());
      }
      // Pass 2 finds all 32Gi dirty again: no new low for the progress timeout (150 s).
      assertThat(handle.state().failureReason()).get().asString().contains("progress");
      assertThat(Duration.between(start, cluster.time().now()))
          .isGreaterThan(Duration.ofSeconds(600));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(GuestProfile.Spread.class)
  @DisplayName("stays within the memory when the migration switches to post-copy mid-pass")
  void withinTheMemoryAfterPostCopy(GuestProfile.Spread spread) {
    ManualScheduler time = new ManualScheduler();
    long memory = 1024 * MI;
    GuestProfile guest = new GuestProfile(200 * MI, memory, spread);
    MigrationSession session = new ModelBackend(time, vmi -> guest).open(spec(memory, "64Mi"));
    session.prepareTarget();
    session.start();

    time.advance(Duration.ofSeconds(12));
    ProgressSample before = session.sample();
    session.apply(new Directive.SwitchToPostCopy());
    ProgressSample after = session.sample();

    assertThat(before.dataRemaining()).isLessThanOrEqualTo(memory);
    assertThat(after.mode()).isEqualTo(MigrationMode.POST_COPY);
    assertThat(after.dataRemaining())
        .as("unsent pages and pages dirtied after they were sent, each once")
        .isLessThanOrEqualTo(memory)
        .isGreaterThanOrEqualTo(before.dataRemaining());
    time.advance(Duration.ofMinutes(10));
    ProgressSample end = session.sample();
    assertThat(end.status()).isEqualTo(ProgressSample.Status.COMPLETED);
    assertThat(end.dataProcessed()).isLessThanOrEqualTo(2 * memory);
  }

  private static MigrationSpec spec(long memory, String bandwidth) {
    VirtualMachineInstance vmi =
        VirtualMachineInstance.builder()
            .name("vmi-busy")
            .nodeName("node01")
            .memory(Quantity.ofMebibytes(memory / MI))
            .build();
    return new MigrationSpec(
        UUID.randomUUID().toString(),
        VirtualMachineInstanceMigration.of("job", vmi.name()),
        vmi,
        MigrationMethod.LIVE_MIGRATION,
        Node.builder().name("node01").address("127.0.0.1").build(),
        Node.builder().name("node02").address("127.0.0.2").build(),
        MigrationConfiguration.builder().bandwidthPerMigration(Quantity.parse(bandwidth)).build());
  }
}
