package dev.livemigration.examples.bench;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.Quantity;
import dev.livemigration.testkit.DirtyPattern;
import dev.livemigration.testkit.ModelComparison;
import dev.livemigration.testkit.SimulatedVmi;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * How well the virtual-time model backend predicts the built-in data plane: each scenario (guest
 * size, dirty rate, working set, pattern) runs once on the model and once with real bytes over TLS
 * on loopback, under the same bandwidth limit, and a table shows total time, bytes sent and passes
 * of both, and the model's ratio to the real run. Not a test: run it and read the figures.
 *
 * <pre>
 * mvn -B -q -pl examples -am compile exec:java \
 *     -Dexec.mainClass=dev.livemigration.examples.bench.ModelValidationBenchmark \
 *     [-Dexec.args="64Mi,256Mi,1Gi 64Mi"]
 * </pre>
 *
 * <p>Arguments: the guest sizes, comma-separated (64Mi, 256Mi and 1Gi unless given), and the
 * bandwidth limit (64Mi, KubeVirt's default, unless given). A run needs each guest's memory twice.
 */
public final class ModelValidationBenchmark {
  private ModelValidationBenchmark() {}

  private record Scenario(String name, Consumer<SimulatedVmi> vmi) {}

  /** Runs every scenario on every size and prints the table. */
  public static void main(String[] args) {
    List<Quantity> sizes = new ArrayList<>();
    for (String size : (args.length > 0 ? args[0] : "64Mi,256Mi,1Gi").split(",")) {
      sizes.add(Quantity.parse(size.trim()));
    }
    Quantity bandwidth = Quantity.parse(args.length > 1 ? args[1] : "64Mi");
    MigrationConfiguration configuration =
        MigrationConfiguration.builder().bandwidthPerMigration(bandwidth).build();

    // The first migration of a JVM loads and compiles the data plane: keep it out of the table.
    ModelComparison.run(configuration, vmi -> vmi.memory("16Mi"));

    System.out.printf(
        Locale.ROOT,
        "bandwidth limit %s/s, TLS on loopback; time in s, bytes in MiB; ratio = model / real%n",
        bandwidth);
    System.out.printf(
        Locale.ROOT,
        "%-7s %-34s | %8s %9s %5s | %8s %9s %5s | %6s %6s%n",
        "size",
        "scenario",
        "model s",
        "model MiB",
        "iter",
        "real s",
        "real MiB",
        "iter",
        "time",
        "bytes");
    for (Quantity size : sizes) {
      for (Scenario scenario : scenarios(size, bandwidth)) {
        ModelComparison c = ModelComparison.run(configuration, scenario.vmi());
        System.out.printf(
            Locale.ROOT,
            "%-7s %-34s | %8.2f %9.1f %5d | %8.2f %9.1f %5d | %6.3f %6.3f%s%n",
            size,
            scenario.name(),
            seconds(c.model()),
            c.model().bytes() / 1048576.0,
            c.model().iterations(),
            seconds(c.real()),
            c.real().bytes() / 1048576.0,
            c.real().iterations(),
            c.timeRatio(),
            c.bytesRatio(),
            c.model().succeeded() && c.real().succeeded() ? "" : "  (a run failed)");
      }
    }
  }

  private static List<Scenario> scenarios(Quantity size, Quantity bandwidth) {
    long memory = size.bytes();
    long limit = bandwidth.bytes();
    return List.of(
        new Scenario("idle", vmi -> vmi.memory(size.toString())),
        dirtying("uniform, bw/4 over a quarter", size, limit / 4, memory / 4, DirtyPattern.UNIFORM),
        dirtying("hot/cold, bw/2 over all", size, limit / 2, memory, DirtyPattern.HOT_COLD),
        dirtying(
            "sequential, bw/4 over an eighth",
            size,
            limit / 4,
            memory / 8,
            DirtyPattern.SEQUENTIAL));
  }

  private static Scenario dirtying(
      String name, Quantity size, long rate, long workingSet, DirtyPattern pattern) {
    return new Scenario(
        name,
        vmi ->
            vmi.memory(size.toString())
                .dirtyRate(Long.toString(rate))
                .workingSet(Long.toString(workingSet))
                .pattern(pattern));
  }

  private static double seconds(ModelComparison.Outcome outcome) {
    return outcome.time().toNanos() / 1e9;
  }
}
