package dev.livemigration.examples.cli;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.core.strategy.Strategies;
import dev.livemigration.testkit.SimulatedCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Runs every strategy across dirty rates on the virtual-time model and writes a CSV and an SVG
 * chart of total time and downtime against dirty rate ÷ bandwidth.
 */
@Command(
    name = "sweep",
    description = "Compare strategies across dirty rates; write sweep.csv and sweep.svg.")
final class SweepCommand implements Callable<Integer> {
  private static final double[] RATIOS = {0.1, 0.5, 0.9, 1.5, 3};
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};

  @Option(names = "--memory", defaultValue = "1Gi", description = "guest memory (${DEFAULT-VALUE})")
  String memory;

  @Option(
      names = "--bandwidth",
      defaultValue = "64Mi",
      description = "bandwidth per migration, per second (${DEFAULT-VALUE})")
  String bandwidth;

  @Option(names = "--out", defaultValue = "target/sweep", description = "output folder")
  Path out;

  @Spec CommandLine.Model.CommandSpec spec;

  /** One strategy at one dirty rate. */
  record Point(
      String strategy,
      double ratio,
      boolean succeeded,
      double seconds,
      double sentPerMemory,
      double downtimeMillis,
      String mode) {}

  @Override
  public Integer call() {
    List<Point> points = new ArrayList<>();
    for (String strategy : Strategies.ids()) {
      for (double ratio : RATIOS) {
        points.add(run(strategy, ratio));
      }
    }
    write(points);
    PrintWriter console = spec.commandLine().getOut();
    console.printf(
        "%-14s %6s %-9s %9s %10s %12s %s%n",
        "strategy", "ratio", "outcome", "time (s)", "sent/mem", "downtime ms", "mode");
    for (Point p : points) {
      console.printf(
          Locale.ROOT,
          "%-14s %6.1f %-9s %9.1f %10.2f %12.1f %s%n",
          p.strategy(),
          p.ratio(),
          p.succeeded() ? "succeeded" : "failed",
          p.seconds(),
          p.sentPerMemory(),
          p.downtimeMillis(),
          p.mode());
    }
    console.println("wrote " + out.resolve("sweep.csv") + " and " + out.resolve("sweep.svg"));
    return LiveMigrationCli.OK;
  }

  private Point run(String strategy, double ratio) {
    long rate = (long) (Quantity.parse(bandwidth).bytes() * ratio);
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
      cluster
          .strategy(Strategies.byId(strategy))
          .configure(
              MigrationConfiguration.builder()
                  .bandwidthPerMigration(Quantity.parse(bandwidth))
                  .allowAutoConverge(true)
                  .allowPostCopy(true)
                  .build())
          .addVmi("guest", vmi -> vmi.memory(memory).dirtyRate(String.valueOf(rate)));
      MigrationHandle handle =
          cluster.engine().migrate(VirtualMachineInstanceMigration.of("sweep", "guest"));
      cluster.runUntilIdle();
      MigrationState state = handle.state();
      ProgressSample last =
          cluster.events().stream()
              .filter(MigrationEvent.Progress.class::isInstance)
              .map(e -> ((MigrationEvent.Progress) e).sample())
              .reduce((a, b) -> b)
              .orElseThrow();
      Duration took =
          Duration.between(
              state.startTimestamp().orElseThrow(), state.endTimestamp().orElseThrow());
      return new Point(
          strategy,
          ratio,
          !state.failed(),
          took.toMillis() / 1000.0,
          last.dataProcessed() / (double) Quantity.parse(memory).bytes(),
          last.downtime().map(d -> d.toNanos() / 1e6).orElse(0.0),
          StatusFormat.pascal(state.mode().name()));
    }
  }

  private void write(List<Point> points) {
    try {
      Files.createDirectories(out);
      StringBuilder csv =
          new StringBuilder("strategy,ratio,outcome,seconds,sent_per_memory,downtime_ms,mode\n");
      for (Point p : points) {
        csv.append(
            String.format(
                Locale.ROOT,
                "%s,%.1f,%s,%.1f,%.3f,%.1f,%s%n",
                p.strategy(),
                p.ratio(),
                p.succeeded() ? "succeeded" : "failed",
                p.seconds(),
                p.sentPerMemory(),
                p.downtimeMillis(),
                p.mode()));
      }
      Files.writeString(out.resolve("sweep.csv"), csv);
      Files.writeString(out.resolve("sweep.svg"), svg(points));
    } catch (IOException e) {
      throw new UncheckedIOException("could not write to " + out, e);
    }
  }

  private String svg(List<Point> points) {
    StringBuilder svg = new StringBuilder();
    svg.append(
        "<svg xmlns='http://www.w3.org/2000/svg' width='1000' height='460' "
            + "font-family='sans-serif' font-size='12'>\n<rect width='1000' height='460' fill='white'/>\n");
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x='500' y='20' text-anchor='middle' font-size='15'>Strategies for a %s guest at"
                + " %s/s: x = dirty rate / bandwidth; failed runs are crosses</text>%n",
            memory,
            bandwidth));
    panel(svg, points, 60, "total time (s)", Point::seconds);
    panel(svg, points, 560, "downtime (ms)", Point::downtimeMillis);
    List<String> ids = Strategies.ids();
    for (int i = 0; i < ids.size(); i++) {
      int x = 80 + i * 180;
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1='%d' y1='445' x2='%d' y2='445' stroke='%s' stroke-width='3'/>"
                  + "<text x='%d' y='449'>%s</text>%n",
              x,
              x + 25,
              COLORS[i % COLORS.length],
              x + 30,
              ids.get(i)));
    }
    return svg.append("</svg>\n").toString();
  }

  private static void panel(
      StringBuilder svg,
      List<Point> points,
      int left,
      String label,
      java.util.function.ToDoubleFunction<Point> value) {
    int top = 50;
    int width = 400;
    int height = 340;
    double max = Math.max(1, points.stream().mapToDouble(value).max().orElse(1)) * 1.1;
    svg.append(
        String.format(
            Locale.ROOT,
            "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#888'/>%n"
                + "<text x='%d' y='%d' text-anchor='middle'>%s</text>%n",
            left,
            top,
            width,
            height,
            left + width / 2,
            top - 8,
            label));
    for (int t = 0; t <= 4; t++) {
      double v = max * t / 4;
      double y = top + height - height * t / 4.0;
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x='%d' y='%.0f' text-anchor='end'>%.0f</text>%n",
              left - 4,
              y + 4,
              v));
    }
    for (int r = 0; r < RATIOS.length; r++) {
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x='%.0f' y='%d' text-anchor='middle'>%.1f</text>%n",
              x(left, width, r),
              top + height + 16,
              RATIOS[r]));
    }
    List<String> ids = Strategies.ids();
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i);
      String color = COLORS[i % COLORS.length];
      StringBuilder line = new StringBuilder();
      for (int r = 0; r < RATIOS.length; r++) {
        final int index = r;
        Point p =
            points.stream()
                .filter(q -> q.strategy().equals(id) && q.ratio() == RATIOS[index])
                .findFirst()
                .orElseThrow();
        double x = x(left, width, r) + (i - 2) * 3;
        double y = top + height - height * value.applyAsDouble(p) / max;
        line.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        svg.append(
            p.succeeded()
                ? String.format(
                    Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='4' fill='%s'/>%n", x, y, color)
                : String.format(
                    Locale.ROOT,
                    "<path d='M%.1f %.1f l8 8 m0 -8 l-8 8' stroke='%s' stroke-width='2'/>%n",
                    x - 4,
                    y - 4,
                    color));
      }
      svg.append(
          String.format(
              Locale.ROOT,
              "<polyline points='%s' fill='none' stroke='%s' stroke-width='1.5' opacity='0.7'/>%n",
              line.toString().trim(),
              color));
    }
  }

  private static double x(int left, int width, int index) {
    return left + width * (index + 0.5) / RATIOS.length;
  }
}
