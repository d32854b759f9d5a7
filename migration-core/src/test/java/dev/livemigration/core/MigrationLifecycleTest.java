package dev.livemigration.core;

import static dev.livemigration.core.Harness.GIB;
import static dev.livemigration.core.Harness.T0;
import static dev.livemigration.core.Harness.local;
import static dev.livemigration.core.Harness.vmi;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Node;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.Taint;
import dev.livemigration.api.VolumeType;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.core.ScriptedBackend.Step;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("A migration's life")
class MigrationLifecycleTest {

  /** The guide's cluster: vmi-fedora on node02 migrates to node01 at 10.128.0.46. */
  private static Harness guideCluster() {
    Harness harness = new Harness();
    harness.inventory.node(Node.builder().name("node01").address("10.128.0.46").build());
    harness.inventory.node(Node.builder().name("node02").address("10.128.0.47").build());
    harness.vmis("node02", "vmi-fedora");
    return harness;
  }

  @Nested
  @DisplayName("on the happy path")
  class HappyPath {
    private final Harness harness = guideCluster();

    @Test
    @DisplayName("publishes Queued, Scheduled, TargetReady, Running, Progress... and Succeeded")
    void eventsInOrder() {
      MigrationHandle handle = harness.migrate("migration-job", "vmi-fedora");
      harness.runUntilIdle();

      String uid = handle.uid();
      List<MigrationEvent> events = harness.events.of(uid);
      assertThat(harness.events.story(uid))
          .containsExactly(
              "Queued", "Scheduled", "TargetReady", "Running", "Progress", "Succeeded");
      // 1 GiB at 64 MiB/s: one 16 s pass, sampled every second.
      assertThat(harness.events.of(uid, MigrationEvent.Progress.class)).hasSize(16);
      assertThat(events).allMatch(e -> e.request().equals(handle.request()));
      assertThat(events)
          .extracting(MigrationEvent::timestamp)
          .isSortedAccordingTo(Comparable::compareTo);

      MigrationEvent.Scheduled scheduled = (MigrationEvent.Scheduled) events.get(1);
      assertThat(scheduled.sourceNode()).isEqualTo("node02");
      assertThat(scheduled.targetNode()).isEqualTo("node01");
      MigrationEvent.TargetReady ready = (MigrationEvent.TargetReady) events.get(2);
      assertThat(ready.targetNodeAddress()).isEqualTo("10.128.0.46");
      assertThat(ready.ports()).containsValues(0, 49152, 49153).hasSize(3);
      assertThat(events.get(3).timestamp()).isEqualTo(T0);

      List<ProgressSample> samples =
          harness.events.of(uid, MigrationEvent.Progress.class).stream()
              .map(MigrationEvent.Progress::sample)
              .toList();
      assertThat(samples.subList(0, 15)).allMatch(s -> s.status() == ProgressSample.Status.ACTIVE);
      assertThat(samples)
          .extracting(ProgressSample::dataRemaining)
          .isSortedAccordingTo(Collections.reverseOrder());
      assertThat(samples.get(15).status()).isEqualTo(ProgressSample.Status.COMPLETED);

      MigrationEvent.Succeeded succeeded = (MigrationEvent.Succeeded) events.get(events.size() - 1);
      assertThat(succeeded.state()).isEqualTo(handle.state());
      assertThat(succeeded.timestamp()).isEqualTo(T0.plusSeconds(16));
    }

    @Test
    @DisplayName("reports every field of the guide's successful migration state")
    void guideState() {
      MigrationHandle handle = harness.migrate("migration-job", "vmi-fedora");
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(state.completed()).isTrue();
      assertThat(state.failed()).isFalse();
      assertThat(state.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.PRE_COPY);
      assertThat(state.startTimestamp()).contains(T0);
      assertThat(state.endTimestamp()).contains(T0.plusSeconds(16));
      assertThat(state.migrationUid()).isEqualTo(handle.uid());
      assertThat(UUID.fromString(state.migrationUid())).isNotNull();
      assertThat(state.sourceNode()).contains("node02");
      assertThat(state.targetNode()).contains("node01");
      assertThat(state.targetNodeAddress()).contains("10.128.0.46");
      assertThat(state.targetNodeDomainDetected()).isTrue();
      assertThat(state.targetPod())
          .hasValueSatisfying(pod -> assertThat(pod).startsWith("virt-launcher-vmi-fedora"));
      assertThat(state.targetDirectMigrationNodePorts())
          .isEqualTo(harness.backend.sessions().get(0).endpoint().ports());
      assertThat(state.targetDirectMigrationNodePorts().values())
          .containsExactlyInAnyOrder(0, 49152, 49153);
      assertThat(state.migrationConfig()).contains(MigrationConfiguration.defaults());
      assertThat(state.migrationConfig().orElseThrow().completionTimeoutPerGiB())
          .isEqualTo(Duration.ofSeconds(800));
      assertThat(state.migrationConfig().orElseThrow().progressTimeout())
          .isEqualTo(Duration.ofSeconds(150));
      assertThat(state.migrationPolicyName()).isEmpty();
      assertThat(state.abortRequested()).isFalse();
      assertThat(state.abortStatus()).isEmpty();
      assertThat(state.failureReason()).isEmpty();
      assertThat(state.progress())
          .as("the final job statistics")
          .hasValueSatisfying(
              last -> {
                assertThat(last.status()).isEqualTo(ProgressSample.Status.COMPLETED);
                assertThat(last.dataProcessed()).isEqualTo(GIB);
                assertThat(last.dataRemaining()).isZero();
              })
          .isEqualTo(
              harness.events.of(handle.uid(), MigrationEvent.Progress.class).stream()
                  .map(MigrationEvent.Progress::sample)
                  .reduce((first, second) -> second));
    }

    @Test
    @DisplayName("moves the VMI to the target in the inventory and completes the handle")
    void movesTheGuest() {
      MigrationHandle handle = harness.migrate("migration-job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.inventory.nodeOf("vmi-fedora")).isEqualTo("node01");
      assertThat(harness.inventory.moves()).containsExactly("default/vmi-fedora: node02 -> node01");
      assertThat(handle.completion()).isCompletedWithValue(handle.state());
      assertThat(harness.engine().find("default", "migration-job")).contains(handle);
      assertThat(harness.engine().migrations()).containsExactly(handle);
    }

    @Test
    @DisplayName("calls the backend in order: open, prepare, start, samples, close")
    void backendCalls() {
      MigrationHandle handle = harness.migrate("migration-job", "vmi-fedora");
      harness.runUntilIdle();

      List<Step> steps = harness.backend.steps(handle.uid());
      assertThat(steps.subList(0, 3)).containsExactly(Step.OPEN, Step.PREPARE_TARGET, Step.START);
      assertThat(steps.subList(3, 19)).containsOnly(Step.SAMPLE);
      assertThat(steps.get(19)).isEqualTo(Step.CLOSE);
      assertThat(steps).hasSize(20);
      ScriptedSession session = harness.backend.session(handle.uid());
      assertThat(session.isClosed()).isTrue();
      assertThat(session.spec().source().name()).isEqualTo("node02");
      assertThat(session.spec().target().name()).isEqualTo("node01");
      assertThat(session.spec().configuration()).isEqualTo(MigrationConfiguration.defaults());
      assertThat(session.spec().request()).isEqualTo(handle.request());
      assertThat(harness.backend.openSessions()).isZero();
    }

    @Test
    @DisplayName("goes through the phases Pending, Scheduled, TargetReady, Running, Succeeded")
    void phases() {
      List<String> seen = Collections.synchronizedList(new ArrayList<>());
      AtomicReference<MigrationEngine> engine = new AtomicReference<>();
      harness.customize(
          builder ->
              builder.listener(
                  event ->
                      engine
                          .get()
                          .find(event.request().namespace(), event.request().name())
                          .ifPresent(
                              h ->
                                  seen.add(
                                      event.getClass().getSimpleName()
                                          + "/"
                                          + h.state().phase()))));
      engine.set(harness.engine());

      MigrationHandle handle = harness.migrate("migration-job", "vmi-fedora");
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.PENDING);
      assertThat(handle.completion()).isNotDone();
      harness.runDue();
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.RUNNING);
      harness.runUntilIdle();

      assertThat(seen.stream().distinct())
          .containsExactly(
              "Queued/PENDING",
              "Scheduled/SCHEDULED",
              "TargetReady/TARGET_READY",
              "Running/RUNNING",
              "Progress/RUNNING",
              "Succeeded/SUCCEEDED");
    }

    @Test
    @DisplayName("goes on when a listener throws")
    void listenerThrows() {
      harness.customize(
          builder ->
              builder.listener(
                  event -> {
                    throw new IllegalStateException("listener bug");
                  }));

      MigrationHandle handle = harness.migrate("migration-job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(harness.events.story(handle.uid())).endsWith("Succeeded");
    }

    @Test
    @DisplayName("samples at the configured interval")
    void sampleInterval() {
      harness.customize(builder -> builder.sampleInterval(Duration.ofSeconds(5)));

      MigrationHandle handle = harness.migrate("migration-job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(harness.events.of(handle.uid(), MigrationEvent.Progress.class))
          .extracting(MigrationEvent::timestamp)
          .containsExactly(
              T0.plusSeconds(5), T0.plusSeconds(10), T0.plusSeconds(15), T0.plusSeconds(20));
      assertThat(handle.state().endTimestamp()).contains(T0.plusSeconds(20));
    }
  }

  @Nested
  @DisplayName("what it copies and how fast")
  class Copying {
    @Test
    @DisplayName("copies node-local disks too in a block migration")
    void blockMigration() {
      Harness harness = guideCluster();
      harness.inventory.vmi(
          vmi("vmi-block", "node02")
              .addVolumes(
                  local("containerdisk", VolumeType.CONTAINER_DISK, Quantity.ofGibibytes(1)))
              .build());

      MigrationHandle handle = harness.migrate("job", "vmi-block");
      harness.runUntilIdle();

      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(handle.state().endTimestamp()).contains(T0.plusSeconds(32));
      assertThat(
              harness
                  .events
                  .of(handle.uid(), MigrationEvent.Progress.class)
                  .get(0)
                  .sample()
                  .dataTotal())
          .isEqualTo(2 * GIB);
    }

    @Test
    @DisplayName("hands the bandwidth per migration to the backend")
    void bandwidth() {
      Harness harness =
          guideCluster().configure(c -> c.bandwidthPerMigration(Quantity.parse("128Mi")));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(
              harness.backend.session(handle.uid()).spec().configuration().bandwidthPerMigration())
          .isEqualTo(Quantity.parse("128Mi"));
      assertThat(handle.state().endTimestamp()).contains(T0.plusSeconds(8));
    }
  }

  @Nested
  @DisplayName("the target")
  class Target {
    @Test
    @DisplayName("is the least loaded schedulable node without the drain taint")
    void leastLoaded() {
      Harness harness = new Harness();
      harness.inventory.nodes("node01", "node02", "node03", "node04", "node05");
      harness.inventory.node(
          Node.builder().name("node03").address("10.128.0.3").schedulable(false).build());
      harness.inventory.node(
          Node.builder()
              .name("node04")
              .address("10.128.0.4")
              .addTaints(Taint.of("kubevirt.io/drain"))
              .build());
      harness.vmis("node01", "busy-1", "busy-2");
      harness.vmis("node05", "busy-3");
      harness.vmis("node02", "vmi-fedora");

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(handle.state().targetNode()).contains("node05");
    }

    @Test
    @DisplayName("counts migrations on their way to a node as load")
    void incomingCounts() {
      Harness harness = new Harness();
      harness.inventory.nodes("node01", "node02", "node03");
      harness.vmis("node01", "a", "b");
      harness.configure(c -> c.parallelOutboundMigrationsPerNode(2));

      MigrationHandle first = harness.migrate("job-a", "a");
      MigrationHandle second = harness.migrate("job-b", "b");
      harness.runUntilIdle();

      assertThat(
              List.of(
                  first.state().targetNode().orElseThrow(),
                  second.state().targetNode().orElseThrow()))
          .containsExactlyInAnyOrder("node02", "node03");
    }

    @Test
    @DisplayName("is reached on the migration network's address when one is configured")
    void migrationNetwork() {
      Harness harness = new Harness();
      harness.inventory.node(
          Node.builder()
              .name("node01")
              .address("10.128.0.46")
              .migrationAddress("10.1.1.46")
              .build());
      harness.inventory.nodes("node02");
      harness.vmis("node02", "vmi-fedora");
      harness.configure(c -> c.network("migration-network"));

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      assertThat(handle.state().targetNodeAddress()).contains("10.1.1.46");
    }

    @Test
    @DisplayName("missing fails the migration with a reason, leaving the guest where it is")
    void noTarget() {
      Harness harness = new Harness();
      harness.inventory.nodes("node02");
      harness.vmis("node02", "vmi-fedora");

      MigrationHandle handle = harness.migrate("job", "vmi-fedora");
      harness.runUntilIdle();

      MigrationState state = handle.state();
      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.completed()).isTrue();
      assertThat(state.failed()).isTrue();
      assertThat(state.failureReason())
          .hasValueSatisfying(r -> assertThat(r).contains("no node can take the VMI"));
      assertThat(harness.backend.calls()).isEmpty();
      assertThat(harness.inventory.nodeOf("vmi-fedora")).isEqualTo("node02");
      assertThat(harness.events.story(handle.uid())).containsExactly("Queued", "Failed");
    }
  }
}
