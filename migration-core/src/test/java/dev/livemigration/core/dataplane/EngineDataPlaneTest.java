package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.StrategyInput;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The engine driving the data plane")
@SuppressWarnings("try") // resources that only need closing, like a busy guest
class EngineDataPlaneTest {

  @org.junit.jupiter.api.AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  private static DataPlaneBackend backend() {
    return DataPlaneBackend.builder().port(0).ioTimeout(Duration.ofSeconds(10)).build();
  }

  private static MigrationState await(MigrationHandle handle) throws Exception {
    return handle.completion().get(60, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName(
      "migrates a VMI over tcp: the target runs on identical memory, reported in the state")
  void migrates() throws Exception {
    PagedMemory source = Guests.random(1024, 21);
    String before = source.digestHex();
    try (Cluster cluster =
        new Cluster(backend(), "node-a", "node-b").vmi("guest", "node-a", source)) {
      MigrationEngine engine = cluster.engine(Cluster.plain());

      MigrationState state =
          await(engine.migrate(VirtualMachineInstanceMigration.of("job", "guest")));

      assertThat(state.phase()).as("%s", state.failureReason()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.targetNode()).contains("node-b");
      assertThat(state.targetNodeAddress()).contains("127.0.0.1");
      assertThat(state.targetDirectMigrationNodePorts()).containsValue(49152);
      assertThat(cluster.nodeOf("guest")).isEqualTo("node-b");
      PagedMemory target = cluster.memoryOf("guest");
      assertThat(target).isNotSameAs(source);
      assertThat(target.mismatch(source)).isEqualTo(-1);
      assertThat(target.digestHex()).isEqualTo(before);
    }
  }

  @Test
  @DisplayName("migrates a busy VMI and then migrates it back")
  void migratesBackAndForth() throws Exception {
    PagedMemory source = Guests.random(1024, 22);
    try (Cluster cluster =
            new Cluster(backend(), "node-a", "node-b").vmi("guest", "node-a", source);
        Guests.Writer writer = new Guests.Writer(source, 3, 32)) {
      MigrationEngine engine = cluster.engine(Cluster.plain());

      MigrationState there =
          await(engine.migrate(VirtualMachineInstanceMigration.of("there", "guest")));
      assertThat(there.phase()).as("%s", there.failureReason()).isEqualTo(MigrationPhase.SUCCEEDED);
      PagedMemory moved = cluster.memoryOf("guest");
      assertThat(moved.mismatch(source)).isEqualTo(-1);
      moved.putLong(8, 1234);

      MigrationState back =
          await(engine.migrate(VirtualMachineInstanceMigration.of("back", "guest")));
      assertThat(back.phase()).as("%s", back.failureReason()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(cluster.nodeOf("guest")).isEqualTo("node-a");
      PagedMemory home = cluster.memoryOf("guest");
      assertThat(home.mismatch(moved)).isEqualTo(-1);
      assertThat(home.getLong(8)).isEqualTo(1234);
      source.close();
    }
  }

  @Test
  @DisplayName("one target agent receives several migrations at once")
  void severalAtOnce() throws Exception {
    PagedMemory first = Guests.random(512, 23);
    PagedMemory second = Guests.random(512, 24);
    PagedMemory third = Guests.random(512, 25);
    try (Cluster cluster =
        new Cluster(backend(), "node-a", "node-b")
            .vmi("first", "node-a", first)
            .vmi("second", "node-a", second)
            .vmi("third", "node-a", third)) {
      MigrationEngine engine =
          cluster.engine(
              MigrationConfiguration.builder()
                  .from(Cluster.plain())
                  .parallelOutboundMigrationsPerNode(3)
                  .bandwidthPerMigration(Quantity.ofMebibytes(4))
                  .build());

      MigrationHandle a = engine.migrate(VirtualMachineInstanceMigration.of("a", "first"));
      MigrationHandle b = engine.migrate(VirtualMachineInstanceMigration.of("b", "second"));
      MigrationHandle c = engine.migrate(VirtualMachineInstanceMigration.of("c", "third"));

      for (MigrationHandle handle : new MigrationHandle[] {a, b, c}) {
        MigrationState state = await(handle);
        assertThat(state.phase())
            .as("%s", state.failureReason())
            .isEqualTo(MigrationPhase.SUCCEEDED);
      }
      assertThat(cluster.memoryOf("first").mismatch(first)).isEqualTo(-1);
      assertThat(cluster.memoryOf("second").mismatch(second)).isEqualTo(-1);
      assertThat(cluster.memoryOf("third").mismatch(third)).isEqualTo(-1);
    }
  }

  @Test
  @DisplayName("a cancelled migration leaves the source running, untouched and registered")
  void cancel() throws Exception {
    PagedMemory source = Guests.random(1024, 26);
    String before = source.digestHex();
    try (Cluster cluster =
        new Cluster(backend(), "node-a", "node-b").vmi("guest", "node-a", source)) {
      MigrationEngine engine =
          cluster.engine(
              MigrationConfiguration.builder()
                  .from(Cluster.plain())
                  .bandwidthPerMigration(Quantity.ofMebibytes(1))
                  .build());
      MigrationHandle handle = engine.migrate(VirtualMachineInstanceMigration.of("job", "guest"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (handle.state().phase() != MigrationPhase.RUNNING && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(10);
      }

      handle.cancel();
      MigrationState state = await(handle);

      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.abortStatus()).contains(AbortStatus.SUCCEEDED);
      assertThat(cluster.memoryOf("guest")).isSameAs(source);
      assertThat(cluster.nodeOf("guest")).isEqualTo("node-a");
      assertThat(source.isPaused()).isFalse();
      assertThat(source.digestHex()).isEqualTo(before);
      source.putLong(0, 1);
    }
  }

  @Test
  @DisplayName("a throttle directive reaches the memory's throttle hook")
  void throttle() throws Exception {
    PagedMemory source = Guests.random(1024, 27);
    MigrationStrategy throttleOnce =
        new MigrationStrategy() {
          @Override
          public String id() {
            return "throttle-once";
          }

          @Override
          public Directive decide(StrategyInput input) {
            return new Directive.Throttle(30);
          }
        };
    try (Cluster cluster =
        new Cluster(backend(), "node-a", "node-b").vmi("guest", "node-a", source)) {
      MigrationEngine engine =
          cluster.engine(
              MigrationConfiguration.builder()
                  .from(Cluster.plain())
                  .allowAutoConverge(true)
                  .bandwidthPerMigration(Quantity.ofMebibytes(2))
                  .build(),
              throttleOnce);
      MigrationHandle handle = engine.migrate(VirtualMachineInstanceMigration.of("job", "guest"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (source.throttlePercent() == 0
          && !handle.completion().isDone()
          && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(5);
      }
      MigrationState state = await(handle);

      assertThat(state.phase()).as("%s", state.failureReason()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(source.throttlePercent()).isEqualTo(30);
      assertThat(cluster.memoryOf("guest").mismatch(source)).isEqualTo(-1);
    }
  }

  @Test
  @DisplayName("a switch to post-copy moves the guest at once and finishes byte for byte")
  void postCopy() throws Exception {
    PagedMemory source = Guests.random(2048, 29);
    MigrationStrategy switchAtOnce =
        new MigrationStrategy() {
          @Override
          public String id() {
            return "post-copy-at-once";
          }

          @Override
          public Directive decide(StrategyInput input) {
            return new Directive.SwitchToPostCopy();
          }
        };
    try (Cluster cluster =
            new Cluster(backend(), "node-a", "node-b").vmi("guest", "node-a", source);
        Guests.Writer writer = new Guests.Writer(source, 8, 16)) {
      MigrationEngine engine =
          cluster.engine(
              MigrationConfiguration.builder()
                  .from(Cluster.plain())
                  .allowPostCopy(true)
                  .bandwidthPerMigration(Quantity.ofMebibytes(8))
                  .build(),
              switchAtOnce);

      MigrationState state =
          await(engine.migrate(VirtualMachineInstanceMigration.of("job", "guest")));

      assertThat(state.phase()).as("%s", state.failureReason()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(dev.livemigration.api.MigrationMode.POST_COPY);
      PagedMemory target = cluster.memoryOf("guest");
      assertThat(target).isNotSameAs(source);
      assertThat(target.mismatch(source)).isEqualTo(-1);
      target.putLong(0, 5);
      source.resume();
    }
  }

  @Test
  @DisplayName("a VMI without registered memory is not live-migratable")
  void unregistered() throws Exception {
    try (Cluster cluster = new Cluster(backend(), "node-a", "node-b")) {
      cluster.vmi("guest", "node-a", PagedMemory.allocate(4096, 4));
      cluster.backend.unregister("default", "guest");
      MigrationEngine engine = cluster.engine(Cluster.plain());

      assertThatThrownBy(() -> engine.migrate(VirtualMachineInstanceMigration.of("job", "guest")))
          .isInstanceOf(MigrationRejectedException.class)
          .hasMessageContaining("no memory is registered");
    }
  }

  @Test
  @DisplayName("samples report progress while the migration runs")
  void progress() throws Exception {
    PagedMemory source = Guests.random(1024, 28);
    java.util.List<ProgressSample> samples = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Cluster cluster =
        new Cluster(backend(), "node-a", "node-b").vmi("guest", "node-a", source)) {
      MigrationEngine engine =
          cluster.engine(
              MigrationConfiguration.builder()
                  .from(Cluster.plain())
                  .bandwidthPerMigration(Quantity.ofMebibytes(8))
                  .build(),
              null,
              samples::add);
      MigrationState state =
          await(engine.migrate(VirtualMachineInstanceMigration.of("job", "guest")));
      assertThat(state.phase()).as("%s", state.failureReason()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(samples).isNotEmpty();
      ProgressSample last = samples.get(samples.size() - 1);
      assertThat(last.status()).isEqualTo(ProgressSample.Status.COMPLETED);
      assertThat(last.downtime()).isPresent();
      assertThat(last.dataTotal()).isEqualTo(source.size());
      assertThat(samples).anySatisfy(s -> assertThat(s.dataProcessed()).isPositive());
      engine.close();
    }
  }
}
