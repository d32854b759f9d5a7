package dev.livemigration.jdbc;

import dev.livemigration.api.CancelResult;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.core.Scheduler;
import dev.livemigration.testkit.model.GuestProfile;
import dev.livemigration.testkit.model.ModelBackend;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * One engine replica in its own JVM, for the engine-level multi-JVM tests: a {@link
 * JdbcMigrationStore} on the test's PostgreSQL, a {@link ModelBackend} on the system clock, and the
 * {@link TableInventory} every replica shares. It prints one line per engine event ({@code EVENT
 * kind uid replica timestamp vmi extra…}) and per operation ({@code OP …}) on stdout, the engine's
 * own log on stderr, and takes commands on stdin, one a line:
 *
 * <ul>
 *   <li>{@code ops SEED COUNT MEAN_PAUSE_MILLIS}: random migrate, cancel (by name or by VMI, any
 *       replica's migration), reconfigure and status operations, then waits for the migrations it
 *       admitted to end; prints {@code OPS-DONE} with counts;
 *   <li>{@code migrate NAME VMI}; {@code cancel NAME}; {@code configure PER_CLUSTER PER_NODE
 *       BANDWIDTH_MIB};
 *   <li>{@code close} (or the end of stdin): closes the engine, prints {@code CLOSED}, exits.
 * </ul>
 *
 * <p>Arguments: port, table prefix, replica name, lease millis, sample interval millis.
 */
public final class ReplicaMain {
  /** Limits a replica starts with; {@code ops} reconfigures within [3, 5] and [1, 2]. */
  static final int MAX_PER_CLUSTER = 5;

  static final int MAX_PER_NODE = 2;
  private static final String NS = VirtualMachineInstanceMigration.DEFAULT_NAMESPACE;

  private final PrintStream out;
  private final String replica;
  private final MigrationEngine engine;
  private final List<String> vmiNames;
  private final List<MigrationHandle> admitted = new ArrayList<>();
  private final Map<String, Integer> counts = new TreeMap<>();
  private final Map<String, Long> millis = new TreeMap<>();
  private int seq;

  private ReplicaMain(
      PrintStream out, String replica, MigrationEngine engine, List<String> vmiNames) {
    this.out = out;
    this.replica = replica;
    this.engine = engine;
    this.vmiNames = vmiNames;
  }

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    String replica = args[2];
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setServerNames(new String[] {"127.0.0.1"});
    source.setPortNumbers(new int[] {Integer.parseInt(args[0])});
    source.setDatabaseName("postgres");
    source.setUser("postgres");
    source.setApplicationName(replica);
    source.setConnectTimeout(10);
    source.setSocketTimeout(60);
    JdbcMigrationStore store =
        JdbcMigrationStore.builder(new PooledDataSource(source)).tablePrefix(args[1]).build();
    TableInventory inventory = new TableInventory(source, args[1]);
    Scheduler scheduler = Scheduler.system(6);
    // Guests dirty 8 MiB/s over a 16 MiB working set: a second pass, then stop-and-copy.
    ModelBackend backend =
        new ModelBackend(scheduler, vmi -> new GuestProfile(8L << 20, 16L << 20), 1L << 30);
    MigrationEngine engine =
        MigrationEngines.builder()
            .configuration(configuration(MAX_PER_CLUSTER, MAX_PER_NODE, 64))
            .backend(new WatchedBackend(backend, out))
            .inventory(inventory)
            .store(store)
            .replica(replica)
            .leaseDuration(Duration.ofMillis(Long.parseLong(args[3])))
            .sampleInterval(Duration.ofMillis(Long.parseLong(args[4])))
            .closeTimeout(Duration.ofSeconds(20))
            .scheduler(scheduler)
            .listener(event -> out.println(line(event)))
            .build();
    List<String> vmis =
        inventory.virtualMachineInstances().stream().map(VirtualMachineInstance::name).toList();
    out.println("READY " + replica + " " + ProcessHandle.current().pid());
    ReplicaMain main = new ReplicaMain(out, replica, engine, vmis);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String command = in.readLine(); command != null; command = in.readLine()) {
      String[] words = command.trim().split(" ");
      if (words[0].equals("close")) {
        break;
      }
      try {
        main.run(words);
      } catch (RuntimeException e) {
        out.println("ERROR " + command + ": " + e);
        e.printStackTrace();
      }
    }
    engine.close();
    scheduler.close();
    inventory.close();
    out.println("CLOSED " + replica);
    System.exit(0);
  }

  private void run(String[] words) throws InterruptedException {
    switch (words[0]) {
      case "ops" -> ops(new Random(Long.parseLong(words[1])), Integer.parseInt(words[2]), words);
      case "migrate" -> migrate(words[1], words[2]);
      case "cancel" -> cancelByName(words[1]);
      case "configure" ->
          reconfigure(
              Integer.parseInt(words[1]), Integer.parseInt(words[2]), Integer.parseInt(words[3]));
      default -> out.println("ERROR unknown command " + String.join(" ", words));
    }
  }

  private void ops(Random random, int count, String[] words) throws InterruptedException {
    int meanPause = Integer.parseInt(words[3]);
    long opsStarted = System.nanoTime();
    long busy = 0;
    for (int i = 0; i < count; i++) {
      long opStarted = System.nanoTime();
      int dice = random.nextInt(100);
      if (dice < 62) {
        migrate(replica + "-" + ++seq, pick(random, vmiNames));
      } else if (dice < 70) {
        cancelByName(random);
      } else if (dice < 78) {
        String vmi = pick(random, vmiNames);
        Optional<MigrationHandle> cancelled = engine.cancelForVmi(NS, vmi);
        count("cancel-vmi-" + (cancelled.isPresent() ? "found" : "none"));
        out.println("OP cancel-vmi " + vmi + " " + cancelled.map(MigrationHandle::uid).orElse("-"));
      } else if (dice < 86) {
        reconfigure(3 + random.nextInt(3), 1 + random.nextInt(2), 48 + 16 * random.nextInt(4));
      } else {
        engine.status(NS, pick(random, vmiNames));
        count("status");
      }
      long took = System.nanoTime() - opStarted;
      busy += took;
      millis.merge(
          dice < 62 ? "migrate" : dice < 78 ? "cancel" : dice < 86 ? "configure" : "status",
          took / 1_000_000,
          Long::sum);
      Thread.sleep(random.nextInt(2 * meanPause + 1));
    }
    long opsMillis = (System.nanoTime() - opsStarted) / 1_000_000;
    int pending = 0;
    for (MigrationHandle handle : admitted) {
      try {
        handle.completion().get(120, TimeUnit.SECONDS);
      } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
        pending++;
        out.println("PENDING " + handle.uid() + " " + handle.state().phase());
      }
    }
    out.println(
        "OPS-DONE "
            + replica
            + " admitted="
            + admitted.size()
            + " unended="
            + pending
            + " millis="
            + opsMillis
            + " busy="
            + busy / 1_000_000
            + " waited="
            + (System.nanoTime() - opsStarted) / 1_000_000
            + " "
            + millis
            + " "
            + counts);
  }

  private void migrate(String name, String vmi) {
    try {
      MigrationHandle handle = engine.migrate(VirtualMachineInstanceMigration.of(name, vmi));
      admitted.add(handle);
      count("migrate-admitted");
      out.println("OP migrate " + name + " " + vmi + " ADMITTED " + handle.uid());
    } catch (MigrationRejectedException e) {
      count("migrate-" + e.reason());
      out.println("OP migrate " + name + " " + vmi + " REJECTED " + e.reason());
    }
  }

  private void cancelByName(Random random) {
    // The newest migrations, most likely in progress; a handle's state() would read the store.
    List<MigrationHandle> all = engine.migrations();
    List<MigrationHandle> newest = all.subList(Math.max(0, all.size() - 8), all.size());
    String name =
        newest.isEmpty()
            ? replica + "-" + (1 + random.nextInt(Math.max(1, seq)))
            : pick(random, newest).request().name();
    cancelByName(name);
  }

  private void cancelByName(String name) {
    Optional<CancelResult> result = engine.find(NS, name).map(MigrationHandle::cancel);
    String outcome = result.map(r -> r.outcome().name()).orElse("NOT_FOUND");
    count("cancel-name-" + outcome);
    out.println(
        "OP cancel-name "
            + name
            + " "
            + outcome
            + result.map(r -> " " + r.message().replace('\n', ' ')).orElse(""));
  }

  private void reconfigure(int perCluster, int perNode, int bandwidthMib) {
    engine.reconfigure(configuration(perCluster, perNode, bandwidthMib));
    count("reconfigure");
    out.println("OP configure " + perCluster + " " + perNode + " " + bandwidthMib);
  }

  private void count(String what) {
    counts.merge(what, 1, Integer::sum);
  }

  private static <T> T pick(Random random, List<T> from) {
    return from.get(random.nextInt(from.size()));
  }

  static MigrationConfiguration configuration(int perCluster, int perNode, int bandwidthMib) {
    return MigrationConfiguration.builder()
        .parallelMigrationsPerCluster(perCluster)
        .parallelOutboundMigrationsPerNode(perNode)
        .bandwidthPerMigration(Quantity.ofMebibytes(bandwidthMib))
        .build();
  }

  /** {@code EVENT kind uid replica timestamp vmi extra…}; a Failed event's reason comes last. */
  static String line(MigrationEvent event) {
    String extra = "-";
    if (event instanceof MigrationEvent.Adopted adopted) {
      extra = adopted.previousOwner();
    } else if (event instanceof MigrationEvent.Scheduled scheduled) {
      extra = scheduled.sourceNode() + " " + scheduled.targetNode();
    } else if (event instanceof MigrationEvent.Succeeded succeeded) {
      extra = target(succeeded.state());
    } else if (event instanceof MigrationEvent.Failed failed) {
      extra = target(failed.state()) + " " + failed.state().failureReason().orElse("");
    }
    return "EVENT "
        + event.getClass().getSimpleName()
        + " "
        + event.migrationUid()
        + " "
        + event.replica()
        + " "
        + event.timestamp()
        + " "
        + event.request().vmiName()
        + " "
        + extra;
  }

  private static String target(MigrationState state) {
    return state.targetNode().orElse("-");
  }
}
