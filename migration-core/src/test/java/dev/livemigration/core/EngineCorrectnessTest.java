package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.CancelResult;
import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Node;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.ClusterInventory;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.TargetEndpoint;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine's answers to races, hung backends and finished migrations. */
@DisplayName("The engine, under races and hung backends")
class EngineCorrectnessTest {

  @Nested
  @DisplayName("admission")
  class Admissions {

    @Test
    @Timeout(30)
    @DisplayName("re-reads a VMI whose migration ended while it was read: never a stale source")
    void staleSource() throws Exception {
      Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora");
      harness.inventory.nodes("node03");
      SlowFind slow = new SlowFind(harness.inventory);
      harness.customize(builder -> builder.inventory(slow));
      harness.engine();
      // Request B finds the VMI free and reads it on node02, but the inventory answers slowly:
      // meanwhile request A migrates the VMI away from node02 to the end.
      slow.arm();
      CompletableFuture<MigrationHandle> late =
          CompletableFuture.supplyAsync(() -> harness.migrate("late", "vmi-fedora"));
      assertThat(slow.read.await(10, TimeUnit.SECONDS)).isTrue();
      MigrationHandle first = harness.migrate("first", "vmi-fedora");
      harness.runUntilIdle();
      assertThat(first.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      String movedTo = harness.inventory.nodeOf("vmi-fedora");
      assertThat(movedTo).isNotEqualTo("node02");
      slow.answer.countDown();

      MigrationHandle handle = late.get(10, TimeUnit.SECONDS);

      assertThat(handle.state().sourceNode()).contains(movedTo);
      harness.runUntilIdle();
      assertThat(handle.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(handle.state().targetNode()).isPresent().get().isNotEqualTo(movedTo);
      assertThat(harness.inventory.nodeOf("vmi-fedora")).isNotEqualTo(movedTo);
    }

    @Test
    @DisplayName("accepts the name of a finished migration again; find returns the newest")
    void nameReuse() {
      Harness harness = Harness.twoNodes().vmis("node02", "vmi-fedora");
      MigrationHandle first = harness.migrate("job", "vmi-fedora");
      assertThatThrownBy(() -> harness.migrate("job", "vmi-fedora"))
          .isInstanceOf(MigrationRejectedException.class);
      harness.runUntilIdle();

      MigrationHandle second = harness.migrate("job", "vmi-fedora");

      assertThat(second.uid()).isNotEqualTo(first.uid());
      assertThat(harness.engine().find("default", "job")).contains(second);
      assertThat(first.state().phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    }

    @Test
    @DisplayName("rejects a VMI with no memory: its completion budget would be 0 s")
    void zeroMemory() {
      Harness harness = Harness.twoNodes();
      harness.inventory.vmi(Harness.vmi("empty", "node02").memory(Quantity.parse("0")).build());

      assertThatThrownBy(() -> harness.migrate("job", "empty"))
          .isInstanceOfSatisfying(
              MigrationRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(MigrationRejectedException.Reason.INVALID_VMI))
          .hasMessageContaining("memory 0")
          .hasMessageContaining("must be positive");
    }
  }

  @Nested
  @DisplayName("with a hung backend")
  class HungBackend {

    @Test
    @Timeout(60)
    @DisplayName("cancel, cancelForVmi and close return at once, close within its bound")
    void cancelAndCloseDoNotWait() throws Exception {
      HangingBackend backend = new HangingBackend();
      ListInventory inventory = new ListInventory();
      MigrationEngine engine =
          MigrationEngines.builder()
              .backend(backend)
              .inventory(inventory)
              .closeTimeout(Duration.ofSeconds(1))
              .build();
      MigrationHandle handle = engine.migrate(VirtualMachineInstanceMigration.of("job", "vmi"));
      assertThat(backend.preparing.await(10, TimeUnit.SECONDS)).isTrue();

      long started = System.nanoTime();
      CancelResult result = handle.cancel();
      Optional<MigrationHandle> byVmi = engine.cancelForVmi("default", "vmi");
      Optional<MigrationHandle> byName = engine.cancel("default", "job");
      long cancelMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

      assertThat(result.outcome()).isEqualTo(CancelResult.Outcome.ABORT_REQUESTED);
      assertThat(byVmi).contains(handle);
      assertThat(byName).contains(handle);
      assertThat(handle.state().abortRequested()).isTrue();
      assertThat(handle.cancel().outcome()).isEqualTo(CancelResult.Outcome.ALREADY_REQUESTED);
      assertThat(cancelMillis).isLessThan(5_000);

      started = System.nanoTime();
      engine.close();
      long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

      // 1 s for the migrations, the rest of it for the backend: far below the hung minute.
      assertThat(closeMillis).isLessThan(10_000);
      MigrationState state = handle.completion().get(5, TimeUnit.SECONDS);
      assertThat(state.failed()).isTrue();
      assertThat(state.failureReason().orElseThrow())
          .contains("did not confirm the abort within the close timeout")
          .contains("unknown");
      backend.release.countDown();
    }
  }

  @Nested
  @DisplayName("events")
  class Events {

    @Test
    @Timeout(60)
    @DisplayName("a migration's end is published before the next one takes its slot")
    void endsBeforeStarts() throws Exception {
      ListInventory inventory = new ListInventory();
      for (int i = 0; i < 19; i++) {
        inventory.add("vmi-" + i);
      }
      AtomicInteger running = new AtomicInteger();
      AtomicInteger peak = new AtomicInteger();
      MigrationEngine engine =
          MigrationEngines.builder()
              .backend(new QuickBackend())
              .inventory(inventory)
              .configuration(
                  dev.livemigration.api.MigrationConfiguration.builder()
                      .parallelMigrationsPerCluster(2)
                      .parallelOutboundMigrationsPerNode(2)
                      .build())
              .sampleInterval(Duration.ofMillis(5))
              .listener(
                  event -> {
                    if (event instanceof MigrationEvent.Scheduled) {
                      peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                    } else if (event instanceof MigrationEvent.Succeeded
                        || event instanceof MigrationEvent.Failed) {
                      running.decrementAndGet();
                    }
                  })
              .build();
      List<CompletableFuture<MigrationState>> all =
          inventory.vmis.stream()
              .map(
                  vmi ->
                      engine
                          .migrate(
                              VirtualMachineInstanceMigration.of("job-" + vmi.name(), vmi.name()))
                          .completion())
              .toList();
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(50, TimeUnit.SECONDS);
      engine.close();

      assertThat(peak.get()).isLessThanOrEqualTo(2);
      assertThat(all)
          .allSatisfy(f -> assertThat(f.join().phase()).isEqualTo(MigrationPhase.SUCCEEDED));
    }
  }

  @Nested
  @DisplayName("the guest's location at the end")
  class Location {

    @Test
    @DisplayName("is the target after success, the source after a cancel or a pre-copy failure")
    void targetOrSource() {
      Harness harness = Harness.twoNodes().vmis("node02", "fine", "stuck", "queued");
      harness.backend.script("stuck", Script.neverConverging());
      harness.configure(c -> c.parallelMigrationsPerCluster(2));
      MigrationHandle fine = harness.migrate("fine", "fine");
      MigrationHandle stuck = harness.migrate("stuck", "stuck");
      MigrationHandle queued = harness.migrate("queued", "queued");
      assertThat(fine.state().guestLocation()).isEmpty();
      queued.cancel();
      harness.runUntilIdle();

      assertThat(fine.state().guestLocation()).contains(dev.livemigration.api.GuestLocation.TARGET);
      assertThat(stuck.state().guestLocation())
          .contains(dev.livemigration.api.GuestLocation.SOURCE);
      assertThat(queued.state().guestLocation())
          .contains(dev.livemigration.api.GuestLocation.SOURCE);
    }

    @Test
    @Timeout(30)
    @DisplayName("is what the backend's last sample says when it knows better")
    void fromTheBackend() throws Exception {
      ListInventory inventory = new ListInventory();
      MigrationEngine engine =
          MigrationEngines.builder()
              .backend(new QuickBackend(ProgressSample.Status.FAILED))
              .inventory(inventory)
              .sampleInterval(Duration.ofMillis(10))
              .build();
      MigrationState state =
          engine
              .migrate(VirtualMachineInstanceMigration.of("job", "vmi"))
              .completion()
              .get(20, TimeUnit.SECONDS);
      engine.close();

      assertThat(state.failed()).isTrue();
      assertThat(state.guestLocation()).contains(dev.livemigration.api.GuestLocation.UNKNOWN);
      assertThat(state.failureReason().orElseThrow()).contains("link broke after the go-ahead");
    }
  }

  // ---------------------------------------------------------------- fixtures

  /** An inventory whose find(), once armed, answers with what it read after a wait. */
  static final class SlowFind implements ClusterInventory {
    final FakeInventory delegate;
    final CountDownLatch read = new CountDownLatch(1);
    final CountDownLatch answer = new CountDownLatch(1);
    private volatile boolean armed;

    SlowFind(FakeInventory delegate) {
      this.delegate = delegate;
    }

    void arm() {
      armed = true;
    }

    @Override
    public List<Node> nodes() {
      return delegate.nodes();
    }

    @Override
    public List<VirtualMachineInstance> virtualMachineInstances() {
      return delegate.virtualMachineInstances();
    }

    @Override
    public Optional<VirtualMachineInstance> find(String namespace, String name) {
      Optional<VirtualMachineInstance> seen = delegate.find(namespace, name);
      if (armed) {
        armed = false;
        read.countDown();
        try {
          answer.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return seen;
    }

    @Override
    public void onMigrated(VirtualMachineInstance vmi, String targetNode) {
      delegate.onMigrated(vmi, targetNode);
    }
  }

  /** Nodes node01 and node02; every VMI 1 GiB on node01. */
  static final class ListInventory implements ClusterInventory {
    final List<VirtualMachineInstance> vmis = new java.util.concurrent.CopyOnWriteArrayList<>();

    ListInventory() {
      add("vmi");
    }

    void add(String name) {
      vmis.add(Harness.vmi(name, "node01").build());
    }

    @Override
    public List<Node> nodes() {
      return List.of(
          Node.builder().name("node01").address("127.0.0.1").build(),
          Node.builder().name("node02").address("127.0.0.2").build());
    }

    @Override
    public List<VirtualMachineInstance> virtualMachineInstances() {
      return List.copyOf(vmis);
    }
  }

  /** A backend whose target never gets ready: prepareTarget() blocks for a minute. */
  static final class HangingBackend implements HypervisorBackend {
    final CountDownLatch preparing = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public String id() {
      return "hanging";
    }

    @Override
    public MigrationSession open(MigrationSpec spec) {
      return new MigrationSession() {
        @Override
        public TargetEndpoint prepareTarget() {
          preparing.countDown();
          try {
            release.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          throw new dev.livemigration.api.spi.BackendException("the target never answered");
        }

        @Override
        public void start() {}

        @Override
        public ProgressSample sample() {
          throw new IllegalStateException("not started");
        }

        @Override
        public void apply(Directive directive) {}

        @Override
        public void abort() {}
      };
    }
  }

  /** A backend whose migrations end at their first sample: completed, or failed in doubt. */
  static final class QuickBackend implements HypervisorBackend {
    private final ProgressSample.Status end;

    QuickBackend() {
      this(ProgressSample.Status.COMPLETED);
    }

    QuickBackend(ProgressSample.Status end) {
      this.end = end;
    }

    @Override
    public String id() {
      return "quick";
    }

    @Override
    public MigrationSession open(MigrationSpec spec) {
      return new MigrationSession() {
        @Override
        public TargetEndpoint prepareTarget() {
          return new TargetEndpoint("127.0.0.2", Map.of(), "target");
        }

        @Override
        public void start() {}

        @Override
        public ProgressSample sample() {
          if (end == ProgressSample.Status.FAILED) {
            return ProgressSample.builder()
                .status(end)
                .failureReason("the link broke after the go-ahead and the target did not answer")
                .guestLocation(dev.livemigration.api.GuestLocation.UNKNOWN)
                .build();
          }
          return ProgressSample.builder().status(end).build();
        }

        @Override
        public void apply(Directive directive) {}

        @Override
        public void abort() {}
      };
    }
  }
}
