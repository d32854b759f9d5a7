package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Block migration: disks travel with the memory, on the block port")
@SuppressWarnings("try") // resources that only need closing, like a busy guest
class BlockMigrationTest {

  private static DataPlaneBackend backend() {
    return DataPlaneBackend.builder()
        .port(0)
        .blockPort(0)
        .ioTimeout(Duration.ofSeconds(10))
        .build();
  }

  @Test
  @DisplayName("copies memory and a busy disk byte for byte, and the VMI then runs on the copies")
  void copiesDisks() throws Exception {
    PagedMemory memory = Guests.random(512, 71);
    PagedMemory disk = Guests.random(768, 72);
    try (Cluster cluster =
            new Cluster(backend(), "node-a", "node-b")
                .vmiWithDisk("guest", "node-a", memory, "scratch", disk, disk.size());
        Guests.Writer memoryWriter = new Guests.Writer(memory, 73, 32);
        Guests.Writer diskWriter = new Guests.Writer(disk, 74, 32)) {
      MigrationEngine engine = cluster.engine(Cluster.plain());

      MigrationState state =
          engine
              .migrate(VirtualMachineInstanceMigration.of("job", "guest"))
              .completion()
              .get(60, TimeUnit.SECONDS);

      assertThat(state.phase()).as("%s", state.failureReason()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.targetDirectMigrationNodePorts()).containsValues(49152, 49153);
      PagedMemory movedMemory = cluster.memoryOf("guest");
      PagedMemory movedDisk = cluster.diskOf("guest", "scratch");
      assertThat(movedMemory).isNotSameAs(memory);
      assertThat(movedDisk).isNotSameAs(disk);
      assertThat(movedMemory.mismatch(memory)).isEqualTo(-1);
      assertThat(movedDisk.mismatch(disk)).isEqualTo(-1);
      assertThat(cluster.backend.agentAddress("node-b", "tcp")).isPresent();
      memory.resume();
      disk.resume();
    }
  }

  @Test
  @DisplayName("fails with a reason naming the volume when its disk is not registered")
  void missingDisk() throws Exception {
    PagedMemory memory = Guests.random(64, 75);
    try (Cluster cluster =
        new Cluster(backend(), "node-a", "node-b")
            .vmiWithDisk("guest", "node-a", memory, "scratch", null, 1 << 20)) {
      MigrationEngine engine = cluster.engine(Cluster.plain());

      MigrationState state =
          engine
              .migrate(VirtualMachineInstanceMigration.of("job", "guest"))
              .completion()
              .get(60, TimeUnit.SECONDS);

      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.failureReason())
          .hasValueSatisfying(reason -> assertThat(reason).contains("scratch"));
      assertThat(memory.isPaused()).isFalse();
    }
  }
}
