package dev.livemigration.examples.bench;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.Node;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.core.ManualScheduler;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.testkit.InMemoryInventory;
import dev.livemigration.testkit.model.GuestProfile;
import dev.livemigration.testkit.model.ModelBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Submits many migrations across many nodes to the engine in virtual time, on the model backend,
 * and reports wall time, peak concurrency per cluster and per node, and heap per tracked migration.
 *
 * <p>Run: {@code mvn -q -pl examples exec:java
 * -Dexec.mainClass=dev.livemigration.examples.bench.EngineBenchmark [-Dexec.args="10000 1000"]}
 */
public final class EngineBenchmark {
  private EngineBenchmark() {}

  /** Runs the benchmark; arguments: migrations (10000) and nodes (1000). */
  public static void main(String[] args) {
    int migrations = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int nodes = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;

    InMemoryInventory inventory = new InMemoryInventory();
    for (int n = 0; n < nodes; n++) {
      inventory.add(Node.builder().name(nodeName(n)).address("127.0.0.1").build());
    }
    for (int i = 0; i < migrations; i++) {
      inventory.add(
          VirtualMachineInstance.builder()
              .name("vmi-" + i)
              .nodeName(nodeName(i * nodes / migrations))
              .memory(Quantity.ofGibibytes(1 + i % 4))
              .build());
    }
    ManualScheduler time = new ManualScheduler();
    ConcurrencyProbe probe = new ConcurrencyProbe();
    MigrationConfiguration configuration = MigrationConfiguration.defaults();
    MigrationEngine engine =
        MigrationEngines.builder()
            .configuration(configuration)
            .backend(
                new ModelBackend(time, vmi -> new GuestProfile(8L << 20, vmi.memory().bytes() / 8)))
            .inventory(inventory)
            .scheduler(time)
            .listener(probe)
            .build();

    long heapBefore = usedHeapAfterGc();
    long start = System.nanoTime();
    List<MigrationHandle> handles = new ArrayList<>(migrations);
    for (int i = 0; i < migrations; i++) {
      handles.add(engine.migrate(VirtualMachineInstanceMigration.of("job-" + i, "vmi-" + i)));
    }
    long heapQueued = usedHeapAfterGc();
    long submitted = System.nanoTime();
    Duration virtual = time.advanceUntilIdle(Duration.ofDays(30));
    long end = System.nanoTime();
    long succeeded = handles.stream().filter(h -> !h.state().failed()).count();

    System.out.printf("migrations            %d across %d nodes%n", migrations, nodes);
    System.out.printf(
        "limits                %d per cluster, %d per node%n",
        configuration.parallelMigrationsPerCluster(),
        configuration.parallelOutboundMigrationsPerNode());
    System.out.printf("succeeded             %d%n", succeeded);
    System.out.printf(
        "wall time             %.2f s (submit %.2f s, run %.2f s)%n",
        (end - start) / 1e9, (submitted - start) / 1e9, (end - submitted) / 1e9);
    System.out.printf("virtual time          %s%n", virtual);
    System.out.printf("peak per cluster      %d%n", probe.peakCluster);
    System.out.printf("peak per source node  %d%n", probe.peakNode);
    System.out.printf(
        "heap per migration    %d bytes (queued, tracked)%n",
        (heapQueued - heapBefore) / migrations);
    engine.close();
  }

  private static String nodeName(int n) {
    return String.format("node%04d", n);
  }

  private static long usedHeapAfterGc() {
    Runtime runtime = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return runtime.totalMemory() - runtime.freeMemory();
  }

  /** Counts migrations between Scheduled and their end, in total and per source node. */
  private static final class ConcurrencyProbe
      implements dev.livemigration.api.event.MigrationListener {
    private final Map<String, String> sourceByUid = new HashMap<>();
    private final Map<String, Integer> perNode = new HashMap<>();
    private int cluster;
    private int peakCluster;
    private int peakNode;

    @Override
    public synchronized void onEvent(MigrationEvent event) {
      if (event instanceof MigrationEvent.Scheduled scheduled) {
        sourceByUid.put(event.migrationUid(), scheduled.sourceNode());
        peakCluster = Math.max(peakCluster, ++cluster);
        peakNode = Math.max(peakNode, perNode.merge(scheduled.sourceNode(), 1, Integer::sum));
      } else if (event instanceof MigrationEvent.Succeeded
          || event instanceof MigrationEvent.Failed) {
        String source = sourceByUid.remove(event.migrationUid());
        if (source != null) {
          cluster--;
          perNode.merge(source, -1, Integer::sum);
        }
      }
    }
  }
}
