package dev.livemigration.jdbc;

import dev.livemigration.api.spi.Adoption;
import dev.livemigration.api.spi.FencedException;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.api.spi.QueueLimits;
import dev.livemigration.api.spi.ReplicaLease;
import dev.livemigration.testkit.tck.StoreRecords;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A store-level engine replica in its own JVM, for {@link JdbcMultiJvmTest}: it joins, renews its
 * lease, adopts and claims migrations under the limits, drives each through a few progress writes
 * to its end, and prints one line per event ({@code CLAIMED uid token millis}, {@code ADOPTED …},
 * {@code ENDED …}, {@code FENCED uid}, {@code LOST …} when its lease ran out before it renewed,
 * then {@code JOINED …} again) for the test to check. It leaves when every migration in the store
 * has ended.
 *
 * <p>Arguments: port, table prefix, replica name, lease millis, steps per migration, step millis.
 */
public final class StoreWorker {
  static final QueueLimits LIMITS = new QueueLimits(5, 2);
  private static final int MAX_DRIVEN = 3;

  private StoreWorker() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setServerNames(new String[] {"127.0.0.1"});
    source.setPortNumbers(new int[] {Integer.parseInt(args[0])});
    source.setDatabaseName("postgres");
    source.setUser("postgres");
    MigrationStore store = JdbcMigrationStore.builder(source).tablePrefix(args[1]).build();
    String replica = args[2];
    Duration leaseDuration = Duration.ofMillis(Long.parseLong(args[3]));
    int steps = Integer.parseInt(args[4]);
    long stepMillis = Long.parseLong(args[5]);

    ReplicaLease lease = store.join(replica, leaseDuration);
    out.println("JOINED " + replica + " " + lease.incarnation());
    long renewed = System.nanoTime();
    long checked = 0;
    Map<String, MigrationRecord> driven = new LinkedHashMap<>();
    Map<String, Integer> done = new LinkedHashMap<>();
    while (true) {
      if (System.nanoTime() - renewed > leaseDuration.toNanos() / 4) {
        try {
          lease = store.renew(lease, leaseDuration);
        } catch (FencedException e) {
          // Late on a loaded machine: what an engine replica does, rejoin as a new incarnation and
          // leave what it drove to adoption (by anyone, itself included).
          out.println("LOST " + e.getMessage());
          lease = store.join(replica, leaseDuration);
          out.println("JOINED " + replica + " " + lease.incarnation());
          driven.clear();
          done.clear();
        }
        renewed = System.nanoTime();
      }
      for (Adoption adoption : store.adopt(lease, MAX_DRIVEN)) {
        MigrationRecord adopted = adoption.record();
        out.println(event("ADOPTED", adopted));
        driven.put(adopted.uid(), adopted);
        done.put(adopted.uid(), 0);
      }
      if (driven.size() < MAX_DRIVEN) {
        for (MigrationRecord claimed : store.claim(lease, LIMITS, MAX_DRIVEN - driven.size())) {
          out.println(event("CLAIMED", claimed));
          driven.put(claimed.uid(), claimed);
          done.put(claimed.uid(), 0);
        }
      }
      for (MigrationRecord record : List.copyOf(driven.values())) {
        int step = done.merge(record.uid(), 1, Integer::sum);
        try {
          if (step < steps) {
            driven.put(
                record.uid(), store.write(lease, StoreRecords.running(record, steps - step)));
          } else {
            MigrationRecord ended = store.write(lease, StoreRecords.ended(record, true));
            out.println(event("ENDED", ended));
            driven.remove(record.uid());
          }
        } catch (FencedException e) {
          out.println("FENCED " + record.uid() + " " + e.getMessage());
          driven.remove(record.uid());
        }
      }
      if (driven.isEmpty() && System.nanoTime() - checked > 500_000_000L) {
        checked = System.nanoTime();
        List<MigrationRecord> all = new ArrayList<>(store.list());
        if (!all.isEmpty() && all.stream().allMatch(MigrationRecord::isTerminal)) {
          break;
        }
      }
      Thread.sleep(stepMillis);
    }
    store.leave(lease);
    out.println("DONE " + replica);
  }

  private static String event(String kind, MigrationRecord record) {
    return kind
        + " "
        + record.uid()
        + " "
        + record.fencingToken()
        + " "
        + System.currentTimeMillis();
  }
}
