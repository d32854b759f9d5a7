package dev.livemigration.testkit.tck;

import static dev.livemigration.testkit.tck.StoreRecords.ended;
import static dev.livemigration.testkit.tck.StoreRecords.running;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.spi.FencedException;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.api.spi.QueueLimits;
import dev.livemigration.api.spi.ReplicaLease;
import dev.livemigration.api.spi.StaleVmiException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The part of the {@link MigrationStoreCompatibilityKit} that runs replicas on several threads at
 * once against one store: admissions racing for the same VMIs, claims under the limits, writes and
 * ends. Extend {@link MigrationStoreCompatibilityKit}, not this class.
 */
public abstract class MigrationStoreConcurrencyKit {
  /** Replicas (threads) in the concurrency test. */
  static final int REPLICAS = 4;

  /** Migrations each replica admits in the concurrency test. */
  static final int PER_REPLICA = 12;

  MigrationStoreConcurrencyKit() {}

  /** A fresh store that keeps {@code retention} finished migrations. */
  protected abstract MigrationStore store(int retention);

  /** The lease of the expiry tests: 2 seconds unless overridden. */
  protected Duration shortLease() {
    return Duration.ofSeconds(2);
  }

  /** Sleeps for real. */
  protected static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Test
  @DisplayName("replicas admitting, claiming and ending at once never exceed the limits")
  void concurrentReplicas() throws Exception {
    MigrationStore store = store(10_000);
    QueueLimits limits = new QueueLimits(3, 2);
    int total = REPLICAS * PER_REPLICA;
    Map<String, AtomicInteger> ends = new ConcurrentHashMap<>();
    Set<String> claimedOnce = ConcurrentHashMap.newKeySet();
    Queue<String> problems = new ConcurrentLinkedQueue<>();
    AtomicInteger admitted = new AtomicInteger();
    AtomicInteger active = new AtomicInteger();
    AtomicInteger maxActive = new AtomicInteger();
    Map<String, AtomicInteger> perNode = new ConcurrentHashMap<>();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(REPLICAS);
    List<Future<?>> workers = new ArrayList<>();
    for (int r = 0; r < REPLICAS; r++) {
      int replica = r;
      workers.add(
          pool.submit(
              () -> {
                start.await();
                ReplicaLease lease = store.join("replica-" + replica, Duration.ofMinutes(5));
                int mine = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (ends.values().stream().mapToInt(AtomicInteger::get).sum() < total
                    || admitted.get() < total) {
                  if (System.nanoTime() > deadline) {
                    problems.add("replica-" + replica + " ran out of time");
                    return null;
                  }
                  if (mine < PER_REPLICA) {
                    // Every replica also tries the same shared VMI: only one may win at a time.
                    String vmi = "vmi-" + (mine % 4) + "-" + (replica % 2);
                    try {
                      StoreRecords.admit(
                          store, "job-" + replica + "-" + mine, vmi, "node-" + (mine % 3), 0);
                      admitted.incrementAndGet();
                      mine++;
                    } catch (MigrationRejectedException | StaleVmiException e) {
                      // Another replica's migration of the VMI is in progress: try later.
                    }
                  }
                  List<MigrationRecord> batch = store.claim(lease, limits, 2);
                  if (batch.isEmpty()) {
                    sleep(Duration.ofMillis(5));
                  }
                  for (MigrationRecord claimed : batch) {
                    if (!claimedOnce.add(claimed.uid())) {
                      problems.add("claimed twice: " + claimed.uid());
                    }
                  }
                  drive(store, lease, batch, limits, active, maxActive, perNode, problems);
                  for (MigrationRecord claimed : batch) {
                    ends.computeIfAbsent(claimed.uid(), k -> new AtomicInteger()).incrementAndGet();
                  }
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> worker : workers) {
      worker.get(120, TimeUnit.SECONDS);
    }
    pool.shutdownNow();
    assertEquals(List.of(), List.copyOf(problems));
    assertEquals(total, admitted.get());
    assertEquals(total, ends.size(), "every admitted migration was claimed");
    ends.forEach((uid, count) -> assertEquals(1, count.get(), uid + " ended once"));
    assertTrue(maxActive.get() <= limits.perCluster(), "at most 3 at once: " + maxActive);
    assertTrue(store.list().stream().allMatch(MigrationRecord::isTerminal), "all ended");
  }

  /** Holds the batch's slots for a while, watching the limits, then ends each migration. */
  private static void drive(
      MigrationStore store,
      ReplicaLease lease,
      List<MigrationRecord> batch,
      QueueLimits limits,
      AtomicInteger active,
      AtomicInteger maxActive,
      Map<String, AtomicInteger> perNode,
      Queue<String> problems) {
    List<MigrationRecord> running = new ArrayList<>();
    for (MigrationRecord claimed : batch) {
      AtomicInteger node = perNode.computeIfAbsent(claimed.sourceNode(), k -> new AtomicInteger());
      int nowActive = active.incrementAndGet();
      int onNode = node.incrementAndGet();
      maxActive.accumulateAndGet(nowActive, Math::max);
      if (nowActive > limits.perCluster() || onNode > limits.outboundPerNode()) {
        problems.add("limits exceeded: " + nowActive + " in the cluster, " + onNode + " on a node");
      }
    }
    try {
      for (MigrationRecord claimed : batch) {
        running.add(store.write(lease, running(claimed, 1000)));
      }
      sleep(Duration.ofMillis(20));
    } catch (FencedException e) {
      problems.add("fenced while it held its lease: " + e.getMessage());
    }
    for (MigrationRecord claimed : batch) {
      perNode.get(claimed.sourceNode()).decrementAndGet();
      active.decrementAndGet();
    }
    for (MigrationRecord record : running) {
      try {
        store.write(lease, ended(record, true));
      } catch (FencedException e) {
        problems.add("fenced while it held its lease: " + e.getMessage());
      }
    }
  }
}
