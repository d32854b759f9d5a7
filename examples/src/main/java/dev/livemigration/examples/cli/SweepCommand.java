package dev.livemigration.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.core.strategy.Strategies;
import dev.livemigration.examples.text.StatusFormat;
import dev.livemigration.testkit.SimulatedCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Runs each strategy across dirty rates on the virtual-time model and writes a CSV (one row per
 * strategy and rate) and an SVG chart of total time and downtime against dirty rate ÷ bandwidth:
 * the picture to look at when choosing a strategy.
 */
@Command(
    name = "sweep",
    description = {
      "Compare the strategies across dirty rates on the simulated model; print a table and write"
          + " sweep.csv (one row per strategy and rate) and sweep.svg (total time and downtime"
          + " against dirty rate / bandwidth).",
      "Exits 0 when the files are written, whatever the migrations did."
    })
final class SweepCommand implements Callable<Integer> {
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};
  private static final double MAX_RATIO = 100;

  @Option(
      names = "--memory",
      paramLabel = "QUANTITY",
      defaultValue = "1Gi",
      converter = Converters.PositiveQuantity.class,
      description = "guest memory (default: ${DEFAULT-VALUE})")
  Quantity memory;

  @Option(
      names = "--bandwidth",
      paramLabel = "QUANTITY",
      defaultValue = "64Mi",
      converter = Converters.PositiveQuantity.class,
      description = "bandwidth per migration, per second (default: ${DEFAULT-VALUE})")
  Quantity bandwidth;

  @Option(
      names = "--ratios",
      paramLabel = "RATIO",
      split = ",",
      defaultValue = "0.1,0.5,0.9,1.5,3",
      description =
          "dirty rates as multiples of the bandwidth, comma-separated, each above 0 and at most"
              + " 100 (default: ${DEFAULT-VALUE})")
  List<Double> ratios;

  @Option(
      names = "--strategy",
      paramLabel = "ID",
      split = ",",
      description =
          "the strategies to compare, comma-separated: pre-copy, post-copy, auto-converge,"
              + " hybrid, kubevirt (default: all)")
  List<String> strategies;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      defaultValue = "target/sweep",
      description = "where sweep.csv and sweep.svg go (default: ${DEFAULT-VALUE})")
  Path out;

  @Mixin Output.Option output;

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
    List<Double> rates = rates();
    List<String> ids = ids();
    List<Point> points = new ArrayList<>();
    for (String strategy : ids) {
      for (double ratio : rates) {
        points.add(run(strategy, ratio));
      }
    }
    write(points, ids, rates);
    PrintWriter console = spec.commandLine().getOut();
    console.print(output.format.report(report(points), r -> table(points)));
    return LiveMigrationCli.OK;
  }

  /** {@code --ratios}, checked and in ascending order. */
  private List<Double> rates() {
    for (double ratio : ratios) {
      if (!(ratio > 0 && ratio <= MAX_RATIO)) {
        throw new IllegalArgumentException(
            "--ratios must each be above 0 and at most 100, but one was " + text(ratio));
      }
    }
    if (new HashSet<>(ratios).size() != ratios.size()) {
      throw new IllegalArgumentException(
          "--ratios must not repeat a value, but was "
              + ratios.stream().map(SweepCommand::text).toList());
    }
    return ratios.stream().sorted().toList();
  }

  /** {@code --strategy}, checked; every built-in strategy if not given. */
  private List<String> ids() {
    if (strategies == null) {
      return Strategies.ids();
    }
    for (String id : strategies) {
      try {
        Strategies.byId(id);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--" + e.getMessage(), e);
      }
    }
    if (new HashSet<>(strategies).size() != strategies.size()) {
      throw new IllegalArgumentException(
          "--strategy must not repeat a strategy, but was " + strategies);
    }
    return List.copyOf(strategies);
  }

  private Point run(String strategy, double ratio) {
    long rate = (long) (bandwidth.bytes() * ratio);
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
      cluster
          .strategy(Strategies.byId(strategy))
          .configure(
              MigrationConfiguration.builder()
                  .bandwidthPerMigration(bandwidth)
                  .allowAutoConverge(true)
                  .allowPostCopy(true)
                  .build())
          .addVmi("guest", vmi -> vmi.memory(memory.toString()).dirtyRate(String.valueOf(rate)));
      MigrationHandle handle =
          cluster.engine().migrate(VirtualMachineInstanceMigration.of("sweep", "guest"));
      cluster.runUntilIdle();
      MigrationState state = handle.state();
      Optional<ProgressSample> last =
          cluster.events().stream()
              .filter(MigrationEvent.Progress.class::isInstance)
              .map(e -> ((MigrationEvent.Progress) e).sample())
              .reduce((a, b) -> b);
      Duration took =
          Duration.between(
              state.startTimestamp().orElseThrow(), state.endTimestamp().orElseThrow());
      return new Point(
          strategy,
          ratio,
          !state.failed(),
          took.toMillis() / 1000.0,
          last.map(s -> s.dataProcessed() / (double) memory.bytes()).orElse(0.0),
          last.flatMap(ProgressSample::downtime).map(d -> d.toNanos() / 1e6).orElse(0.0),
          StatusFormat.pascal(state.mode().name()));
    }
  }

  /** A ratio as written: {@code 0.25}, {@code 3}. */
  private static String text(double ratio) {
    return BigDecimal.valueOf(ratio).stripTrailingZeros().toPlainString();
  }

  private static String outcome(Point p) {
    return p.succeeded() ? "succeeded" : "failed";
  }

  private String table(List<Point> points) {
    StringBuilder table =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%-14s %6s %-9s %9s %10s %12s %s%n",
                "strategy",
                "ratio",
                "outcome",
                "time (s)",
                "sent/mem",
                "downtime ms",
                "mode"));
    for (Point p : points) {
      table.append(
          String.format(
              Locale.ROOT,
              "%-14s %6s %-9s %9.1f %10.2f %12.1f %s%n",
              p.strategy(),
              text(p.ratio()),
              outcome(p),
              p.seconds(),
              p.sentPerMemory(),
              p.downtimeMillis(),
              p.mode()));
    }
    return table
        .append("wrote ")
        .append(out.resolve("sweep.csv"))
        .append(" and ")
        .append(out.resolve("sweep.svg"))
        .append('\n')
        .toString();
  }

  private ObjectNode report(List<Point> points) {
    ObjectNode report =
        Output.object()
            .put("memory", memory.toString())
            .put("bandwidthPerSecond", bandwidth.toString())
            .put("csv", out.resolve("sweep.csv").toString())
            .put("svg", out.resolve("sweep.svg").toString());
    ArrayNode list = report.putArray("points");
    for (Point p : points) {
      list.addObject()
          .put("strategy", p.strategy())
          .put("ratio", p.ratio())
          .put("outcome", outcome(p))
          .put("seconds", p.seconds())
          .put("sentPerMemory", p.sentPerMemory())
          .put("downtimeMillis", p.downtimeMillis())
          .put("mode", p.mode());
    }
    return report;
  }

  private void write(List<Point> points, List<String> ids, List<Double> rates) {
    try {
      Files.createDirectories(out);
      StringBuilder csv =
          new StringBuilder("strategy,ratio,outcome,seconds,sent_per_memory,downtime_ms,mode\n");
      for (Point p : points) {
        csv.append(
            String.format(
                Locale.ROOT,
                "%s,%s,%s,%.1f,%.3f,%.1f,%s%n",
                p.strategy(),
                text(p.ratio()),
                outcome(p),
                p.seconds(),
                p.sentPerMemory(),
                p.downtimeMillis(),
                p.mode()));
      }
      Files.writeString(out.resolve("sweep.csv"), csv);
      Files.writeString(out.resolve("sweep.svg"), svg(points, ids, rates));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write sweep.csv and sweep.svg to " + out, e);
    }
  }

  private String svg(List<Point> points, List<String> ids, List<Double> rates) {
    StringBuilder svg = new StringBuilder();
    svg.append(
        "<svg xmlns='http://www.w3.org/2000/svg' width='1000' height='460' "
            + "font-family='sans-serif' font-size='12'>\n"
            + "<rect width='1000' height='460' fill='white'/>\n");
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x='500' y='20' text-anchor='middle' font-size='15'>Strategies for a %s guest at"
                + " %s/s: x = dirty rate / bandwidth; failed runs are crosses</text>%n",
            xml(memory.toString()),
            xml(bandwidth.toString())));
    Chart chart = new Chart(svg, points, ids, rates);
    chart.panel(60, "total time (s)", Point::seconds);
    chart.panel(560, "downtime (ms)", Point::downtimeMillis);
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
              xml(ids.get(i))));
    }
    return svg.append("</svg>\n").toString();
  }

  /** Escapes text for an SVG document. */
  private static String xml(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("'", "&apos;");
  }

  /** The two panels of the SVG: one line per strategy, one column per ratio. */
  private record Chart(
      StringBuilder svg, List<Point> points, List<String> ids, List<Double> rates) {
    private static final int TOP = 50;
    private static final int WIDTH = 400;
    private static final int HEIGHT = 340;

    void panel(int left, String label, ToDoubleFunction<Point> value) {
      double max = Math.max(1, points.stream().mapToDouble(value).max().orElse(1)) * 1.1;
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#888'/>%n"
                  + "<text x='%d' y='%d' text-anchor='middle'>%s</text>%n",
              left,
              TOP,
              WIDTH,
              HEIGHT,
              left + WIDTH / 2,
              TOP - 8,
              label));
      for (int t = 0; t <= 4; t++) {
        svg.append(
            String.format(
                Locale.ROOT,
                "<text x='%d' y='%.0f' text-anchor='end'>%.0f</text>%n",
                left - 4,
                TOP + HEIGHT - HEIGHT * t / 4.0 + 4,
                max * t / 4));
      }
      for (int r = 0; r < rates.size(); r++) {
        svg.append(
            String.format(
                Locale.ROOT,
                "<text x='%.0f' y='%d' text-anchor='middle'>%s</text>%n",
                x(left, r),
                TOP + HEIGHT + 16,
                text(rates.get(r))));
      }
      for (int i = 0; i < ids.size(); i++) {
        line(left, i, value, max);
      }
    }

    private void line(int left, int strategy, ToDoubleFunction<Point> value, double max) {
      String id = ids.get(strategy);
      String color = COLORS[strategy % COLORS.length];
      double offset = (strategy - (ids.size() - 1) / 2.0) * 3;
      StringBuilder line = new StringBuilder();
      for (int r = 0; r < rates.size(); r++) {
        double ratio = rates.get(r);
        Point p =
            points.stream()
                .filter(q -> q.strategy().equals(id) && q.ratio() == ratio)
                .findFirst()
                .orElseThrow();
        double x = x(left, r) + offset;
        double y = TOP + HEIGHT - HEIGHT * value.applyAsDouble(p) / max;
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

    private double x(int left, int index) {
      return left + WIDTH * (index + 0.5) / rates.size();
    }
  }
}
