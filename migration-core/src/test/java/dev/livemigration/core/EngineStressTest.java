package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.core.ScriptedBackend.Step;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads request and cancel migrations at once. Nothing here depends on how fast the machine
 * is: the waits are bounds against hangs, and the checks are invariants that hold for any
 * interleaving.
 */
@DisplayName("Under concurrent requests and cancellations")
class EngineStressTest {
  private static final int NODES = 6;
  private static final int VMIS_PER_NODE = 8;
  private static final int PER_CLUSTER = 4;
  private static final int PER_NODE = 2;

  /** A bound against hangs, far above what any run needs. */
  private static final long BOUND_SECONDS = 60;

  private final ExecutorService threads = Executors.newFixedThreadPool(6);

  @AfterEach
  void stopThreads() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(BOUND_SECONDS, TimeUnit.SECONDS)).isTrue();
  }

  private static MigrationConfiguration limits() {
    return MigrationConfiguration.builder()
        .parallelMigrationsPerCluster(PER_CLUSTER)
        .parallelOutboundMigrationsPerNode(PER_NODE)
        .allowAutoConverge(true)
        .build();
  }

  private static void populate(FakeInventory inventory) {
    for (int node = 0; node < NODES; node++) {
      inventory.nodes("node" + node);
      for (int i = 0; i < VMIS_PER_NODE; i++) {
        inventory.vmi(Harness.vmi(vmiName(node, i), "node" + node).build());
      }
    }
  }

  private static String vmiName(int node, int i) {
    return "vmi-" + node + "-" + i;
  }

  private static List<String> allVmis() {
    List<String> all = new ArrayList<>();
    for (int node = 0; node < NODES; node++) {
      for (int i = 0; i < VMIS_PER_NODE; i++) {
        all.add(vmiName(node, i));
      }
    }
    return all;
  }

  /**
   * Each of {@code submitters} threads requests a slice of the VMIs, waits for each of its
   * migrations to end and requests it once more, while {@code cancellers} threads cancel random
   * migrations by handle, by name and by VMI. Returns every handle.
   */
  private List<MigrationHandle> storm(
      MigrationEngine engine, int submitters, int cancellers, long seed) throws Exception {
    Queue<MigrationHandle> handles = new ConcurrentLinkedQueue<>();
    List<String> vmis = allVmis();
    AtomicInteger names = new AtomicInteger();
    AtomicBoolean submitting = new AtomicBoolean(true);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> submitterTasks = new ArrayList<>();
    for (int t = 0; t < submitters; t++) {
      List<String> slice = new ArrayList<>();
      for (int i = t; i < vmis.size(); i += submitters) {
        slice.add(vmis.get(i));
      }
      submitterTasks.add(
          threads.submit(
              () -> {
                start.await();
                for (int round = 0; round < 2; round++) {
                  List<MigrationHandle> mine = new ArrayList<>();
                  for (String vmi : slice) {
                    MigrationHandle handle =
                        engine.migrate(
                            VirtualMachineInstanceMigration.of(
                                "job-" + names.incrementAndGet(), vmi));
                    handles.add(handle);
                    mine.add(handle);
                  }
                  for (MigrationHandle handle : mine) {
                    // Once a migration has ended, its VMI is free: the next round's request
                    // must not be rejected as already migrating.
                    handle.completion().get(BOUND_SECONDS, TimeUnit.SECONDS);
                  }
                }
                return null;
              }));
    }
    List<Future<?>> cancellerTasks = new ArrayList<>();
    for (int t = 0; t < cancellers; t++) {
      Random random = new Random(seed + t);
      cancellerTasks.add(
          threads.submit(
              () -> {
                start.await();
                while (submitting.get()) {
                  List<MigrationHandle> known = List.copyOf(handles);
                  if (!known.isEmpty()) {
                    MigrationHandle victim = known.get(random.nextInt(known.size()));
                    switch (random.nextInt(4)) {
                      case 0 -> victim.cancel();
                      case 1 -> engine.cancel("default", victim.request().name());
                      case 2 -> engine.cancelForVmi("default", victim.request().vmiName());
                      default -> engine.migrations(); // a read, racing with the writers
                    }
                  }
                  Thread.sleep(0, 100_000);
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> task : submitterTasks) {
      task.get(BOUND_SECONDS, TimeUnit.SECONDS);
    }
    submitting.set(false);
    for (Future<?> task : cancellerTasks) {
      task.get(BOUND_SECONDS, TimeUnit.SECONDS);
    }
    List<MigrationHandle> all = List.copyOf(handles);
    CompletableFuture.allOf(
            all.stream().map(MigrationHandle::completion).toArray(CompletableFuture[]::new))
        .get(BOUND_SECONDS, TimeUnit.SECONDS);
    return all;
  }

  /**
   * Requests as many never-converging migrations as the limits allow, from wherever the VMIs run
   * now, and waits (running {@code step}) until all of them run.
   */
  private static List<MigrationHandle> fillTheLimits(
      MigrationEngine engine, FakeInventory inventory, ScriptedBackend backend, Runnable step) {
    java.util.Map<String, Integer> perNode = new java.util.HashMap<>();
    List<MigrationHandle> fresh = new ArrayList<>();
    for (var vmi : inventory.virtualMachineInstances()) {
      if (fresh.size() < PER_CLUSTER
          && perNode.merge(vmi.nodeName(), 1, Integer::sum) <= PER_NODE) {
        backend.script(vmi.name(), Script.neverConverging());
        fresh.add(
            engine.migrate(VirtualMachineInstanceMigration.of("fresh-" + vmi.name(), vmi.name())));
      }
    }
    assertThat(fresh).hasSize(PER_CLUSTER);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
    while (!fresh.stream().allMatch(h -> h.state().phase() == MigrationPhase.RUNNING)) {
      assertThat(System.nanoTime()).as("fresh migrations started in time").isLessThan(deadline);
      step.run();
    }
    return fresh;
  }

  private static Script mixedScript(int index) {
    return switch (index % 6) {
      case 0 -> Script.CONVERGING;
      case 1 -> Script.dirtying(Script.MIB_64 / 2);
      case 2 -> Script.neverConverging(); // converges only with auto-converge
      case 3 -> Script.dirtying(Script.MIB_64 / 2).withAbortTooLate();
      case 4 -> Script.CONVERGING.failing(Step.values()[index % Step.values().length], "boom");
      default -> Script.dirtying(Script.MIB_64 / 4).failingOnSample(3, "reset");
    };
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  @DisplayName("on a system scheduler the limits hold and every migration ends exactly once")
  void systemScheduler() throws Exception {
    // The backend's model runs on a clock that moves a quarter second at every reading, so that
    // migrations progress with the engine's activity, not with the wall clock.
    AtomicLong ticks = new AtomicLong();
    Instant origin = Instant.parse("2019-03-29T04:02:47Z");
    ScriptedBackend backend =
        new ScriptedBackend(() -> origin.plusMillis(250 * ticks.incrementAndGet()));
    FakeInventory inventory = new FakeInventory();
    populate(inventory);
    List<String> vmis = allVmis();
    for (int i = 0; i < vmis.size(); i++) {
      backend.script(vmis.get(i), mixedScript(i));
    }
    EventLog events = new EventLog();
    Scheduler scheduler = Scheduler.system(4);
    try (MigrationEngine engine =
        MigrationEngines.builder()
            .configuration(limits())
            .backend(backend)
            .inventory(inventory)
            .scheduler(scheduler)
            .sampleInterval(Duration.ofMillis(1))
            .listener(events)
            .build()) {

      List<MigrationHandle> handles = storm(engine, 4, 2, 42);

      assertThat(handles).hasSize(2 * vmis.size());
      Invariants.limitsNeverExceeded(backend, PER_CLUSTER, PER_NODE);
      Invariants.everyMigrationEndedOnce(engine, handles, events, backend);

      backend.resetPeaks();
      List<MigrationHandle> fresh = fillTheLimits(engine, inventory, backend, Thread::onSpinWait);
      assertThat(((DefaultMigrationEngine) engine).counters()).containsExactly(PER_CLUSTER, 0);
      fresh.forEach(MigrationHandle::cancel);
      for (MigrationHandle handle : fresh) {
        MigrationState end = handle.completion().get(BOUND_SECONDS, TimeUnit.SECONDS);
        assertThat(end.completed()).isTrue();
      }
      Invariants.limitsNeverExceeded(backend, PER_CLUSTER, PER_NODE);
    } finally {
      scheduler.close();
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  @DisplayName("on a manual scheduler advanced by one thread the same holds, in virtual time")
  void manualSchedulerAdvancedByOneThread() throws Exception {
    Harness harness = new Harness().configuration(limits());
    populate(harness.inventory);
    List<String> vmis = allVmis();
    for (int i = 0; i < vmis.size(); i++) {
      harness.backend.script(vmis.get(i), mixedScript(i + 1));
    }
    MigrationEngine engine = harness.engine();
    AtomicBoolean running = new AtomicBoolean(true);
    Future<?> clock =
        threads.submit(
            () -> {
              while (running.get()) {
                harness.time.advance(Duration.ofSeconds(1));
                Thread.yield();
              }
              return null;
            });

    List<MigrationHandle> handles;
    try {
      handles = storm(engine, 3, 2, 7);
    } finally {
      running.set(false);
      clock.get(BOUND_SECONDS, TimeUnit.SECONDS);
    }
    harness.runUntilIdle();

    Invariants.limitsNeverExceeded(harness.backend, PER_CLUSTER, PER_NODE);
    Invariants.everyMigrationEndedOnce(engine, handles, harness.events, harness.backend);

    harness.backend.resetPeaks();
    List<MigrationHandle> fresh =
        fillTheLimits(engine, harness.inventory, harness.backend, harness::runDue);
    assertThat(harness.backend.openSessions()).isEqualTo(PER_CLUSTER);
    fresh.forEach(MigrationHandle::cancel);
    harness.runUntilIdle();
    assertThat(fresh).allMatch(h -> h.completion().isDone());
    Invariants.limitsNeverExceeded(harness.backend, PER_CLUSTER, PER_NODE);
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  @DisplayName("requests for the same VMI from many threads admit exactly one at a time")
  void sameVmiFromManyThreads() throws Exception {
    Harness harness = new Harness().configuration(limits());
    populate(harness.inventory);
    harness.backend.defaultScript(Script.neverConverging());
    MigrationEngine engine = harness.engine();
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger admitted = new AtomicInteger();
    AtomicInteger rejected = new AtomicInteger();
    List<Future<?>> tasks = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      int thread = t;
      tasks.add(
          threads.submit(
              () -> {
                start.await();
                for (int i = 0; i < 50; i++) {
                  try {
                    engine.migrate(
                        VirtualMachineInstanceMigration.of("job-" + thread + "-" + i, "vmi-0-0"));
                    admitted.incrementAndGet();
                  } catch (MigrationRejectedException e) {
                    assertThat(e.reason())
                        .isEqualTo(MigrationRejectedException.Reason.ALREADY_MIGRATING);
                    rejected.incrementAndGet();
                  }
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> task : tasks) {
      task.get(BOUND_SECONDS, TimeUnit.SECONDS);
    }

    assertThat(admitted.get()).isEqualTo(1);
    assertThat(rejected.get()).isEqualTo(299);
    assertThat(engine.migrations()).hasSize(1);
  }
}
