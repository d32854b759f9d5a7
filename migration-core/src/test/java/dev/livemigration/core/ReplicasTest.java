package dev.livemigration.core;

import static dev.livemigration.core.Harness.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.CancelResult;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.core.store.InMemoryMigrationStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Two engine replicas on one shared store, each on its own virtual clock; the store's clock is
 * replica b's, as a database's clock is neither replica's.
 */
@DisplayName("Engine replicas on one store")
class ReplicasTest {
  private final ManualScheduler timeA = new ManualScheduler(T0);
  private final ManualScheduler timeB = new ManualScheduler(T0);
  private final InMemoryMigrationStore store = new InMemoryMigrationStore(timeB::now, 1_000);
  private final FakeInventory inventory = new FakeInventory().nodes("node01", "node02", "node03");
  private final ScriptedBackend backend = new ScriptedBackend(timeB::now).resumable();
  private final EventLog eventsA = new EventLog();
  private final EventLog eventsB = new EventLog();
  private final MigrationConfiguration limits =
      MigrationConfiguration.builder()
          .parallelMigrationsPerCluster(2)
          .parallelOutboundMigrationsPerNode(2)
          .build();
  private final MigrationEngine a = engine("a", timeA, eventsA);
  private final MigrationEngine b = engine("b", timeB, eventsB);

  private MigrationEngine engine(String replica, ManualScheduler time, EventLog events) {
    return MigrationEngines.builder()
        .configuration(limits)
        .backend(backend)
        .inventory(inventory)
        .store(store)
        .replica(replica)
        .leaseDuration(Duration.ofSeconds(15))
        .scheduler(time)
        .listener(events)
        .build();
  }

  private void both(int seconds) {
    for (int i = 0; i < seconds; i++) {
      timeA.advance(Duration.ofSeconds(1));
      timeB.advance(Duration.ofSeconds(1));
    }
  }

  @Test
  @DisplayName("share the cluster's limits and see each other's migrations")
  void sharedLimits() {
    for (int i = 0; i < 6; i++) {
      inventory.vmi(Harness.vmi("vmi-" + i, i % 2 == 0 ? "node01" : "node02").build());
    }
    List<MigrationHandle> handles = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      MigrationEngine via = i % 2 == 0 ? a : b;
      handles.add(via.migrate(VirtualMachineInstanceMigration.of("job-" + i, "vmi-" + i)));
    }
    for (int turn = 0;
        turn < 600 && !handles.stream().allMatch(h -> h.state().completed());
        turn++) {
      both(1);
    }

    assertThat(handles)
        .allSatisfy(h -> assertThat(h.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED));
    assertThat(backend.peakOpenSessions()).isLessThanOrEqualTo(2);
    assertThat(a.migrations()).hasSize(6);
    assertThat(b.find("default", "job-0")).isPresent();
    long ends =
        eventsA.all().stream().filter(e -> e instanceof MigrationEvent.Succeeded).count()
            + eventsB.all().stream().filter(e -> e instanceof MigrationEvent.Succeeded).count();
    assertThat(ends).isEqualTo(6);
    // Each step's event names the replica that took it: the owner in the store drove the end.
    for (MigrationHandle handle : handles) {
      String owner = store.find(handle.uid()).orElseThrow().owner();
      EventLog log = owner.equals("a") ? eventsA : eventsB;
      assertThat(log.of(handle.uid(), MigrationEvent.Succeeded.class))
          .singleElement()
          .satisfies(e -> assertThat(e.replica()).isEqualTo(owner));
    }
  }

  @Test
  @DisplayName("a cancel on one replica reaches the migration its peer drives")
  void cancelReachesTheOwner() {
    inventory.vmi(Harness.vmi("vmi-fedora", "node02").build());
    backend.defaultScript(Script.neverConverging());
    MigrationHandle viaA = a.migrate(VirtualMachineInstanceMigration.of("job", "vmi-fedora"));
    timeA.runDue();
    both(3);
    String owner = store.find(viaA.uid()).map(MigrationRecord::owner).orElseThrow();
    MigrationEngine other = owner.equals("a") ? b : a;

    CancelResult result = other.find("default", "job").orElseThrow().cancel();
    both(5);

    assertThat(result.outcome()).isEqualTo(CancelResult.Outcome.ABORT_REQUESTED);
    assertThat(result.message()).contains("replica " + owner);
    assertThat(viaA.state().phase()).isEqualTo(MigrationPhase.FAILED);
    assertThat(viaA.state().failureReason()).contains("cancelled on request");
  }

  @Test
  @DisplayName("adopt a stopped replica's migration after its lease, and fence its late writes")
  void adoptionAndFencing() {
    inventory.vmi(Harness.vmi("vmi-fedora", "node02").build());
    backend.defaultScript(Script.dirtying(Script.MIB_64 / 8));
    MigrationHandle handle = a.migrate(VirtualMachineInstanceMigration.of("job", "vmi-fedora"));
    timeA.runDue();
    both(2);
    assertThat(store.find(handle.uid()).orElseThrow().owner()).isEqualTo("a");
    assertThat(handle.state().phase()).isEqualTo(MigrationPhase.RUNNING);

    // Replica a stops (a crash, a long pause): only b's time goes on, past a's lease.
    for (int i = 0; i < 120 && !handle.state().completed(); i++) {
      timeB.advance(Duration.ofSeconds(1));
    }

    assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    assertThat(store.find(handle.uid()).orElseThrow().owner()).isEqualTo("b");
    assertThat(eventsB.kinds(handle.uid())).contains("Adopted").endsWith("Succeeded");
    MigrationEvent.Adopted adopted = eventsB.of(handle.uid(), MigrationEvent.Adopted.class).get(0);
    assertThat(adopted.previousOwner()).isEqualTo("a");
    assertThat(adopted.replica()).isEqualTo("b");
    String movedTo = inventory.nodeOf("vmi-fedora");

    // Replica a wakes up: its writes are refused, it stops driving, nothing ends twice.
    timeA.advance(Duration.ofSeconds(30));

    assertThat(eventsA.kinds(handle.uid())).doesNotContain("Succeeded", "Failed");
    assertThat(inventory.moves()).hasSize(1);
    assertThat(inventory.nodeOf("vmi-fedora")).isEqualTo(movedTo);
    assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
  }

  @Test
  @DisplayName("a migration whose backend cannot resume ends failed, with why")
  void notResumable() {
    ScriptedBackend plain = new ScriptedBackend(timeB::now);
    MigrationEngine c =
        MigrationEngines.builder()
            .configuration(limits)
            .backend(plain)
            .inventory(inventory)
            .store(store)
            .replica("c")
            .scheduler(timeA)
            .build();
    inventory.vmi(Harness.vmi("vmi-fedora", "node02").build());
    plain.defaultScript(Script.neverConverging());
    MigrationHandle handle = c.migrate(VirtualMachineInstanceMigration.of("job", "vmi-fedora"));
    timeA.runDue();
    // Only b goes on; a and b cannot resume what c's backend ran.
    for (int i = 0; i < 60 && !handle.state().completed(); i++) {
      timeB.advance(Duration.ofSeconds(1));
    }

    assertThat(handle.state().phase()).isEqualTo(MigrationPhase.FAILED);
    assertThat(handle.state().failureReason().orElseThrow())
        .contains("replica c")
        .contains("cannot resume");
  }
}
