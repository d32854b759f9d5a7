package dev.livemigration.examples.embed;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.StrategyInput;
import dev.livemigration.core.strategy.Strategies;
import dev.livemigration.testkit.SimulatedCluster;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link MigrationStrategy} of one's own, plugged into the engine through the SPI, against the
 * built-in default on the same guests. {@link DowntimeLadder} accepts a longer pause of the guest,
 * step by step, when pre-copy stops gaining ground, and gives up on pre-copy after a set number of
 * passes; a control plane installs it with
 *
 * <pre>{@code
 * MigrationEngines.builder().strategy(DowntimeLadder.standard())...build();
 * }</pre>
 *
 * <p>The comparison runs in virtual time on the testkit's {@link SimulatedCluster} (whose engine is
 * built with that same builder call), so its figures are the same on every machine: two 1 GiB
 * guests that dirty 256 MiB/s, over 48 MiB and over 256 MiB of their memory, on KubeVirt's 64 MiB/s
 * per migration with {@code allowPostCopy}, each migrated once with {@link
 * Strategies#kubeVirtDefault()} and once with the ladder.
 */
public final class CustomStrategy {
  /**
   * KubeVirt's defaults (64 MiB/s per migration, 150 s progress timeout) with post-copy allowed and
   * the switch-over limited to QEMU's own 300 ms, which the ladder raises.
   */
  static final MigrationConfiguration CONFIGURATION =
      MigrationConfiguration.builder().allowPostCopy(true).maxDowntimeMs(300).build();

  /** A guest compared: its name, dirty rate and working set, as the testkit's quantities. */
  private record Guest(String name, String dirtyRate, String workingSet) {}

  private static final List<Guest> GUESTS =
      List.of(new Guest("vmi-web", "256Mi", "48Mi"), new Guest("vmi-db", "256Mi", "256Mi"));

  private CustomStrategy() {}

  /**
   * Raises the allowed downtime when pre-copy stalls, then switches to post-copy.
   *
   * <p>Pre-copy has stalled for {@code k} passes when the lowest data remaining among the samples
   * of the input (the engine keeps the last 128) is from {@code k} passes before the latest. From
   * {@code patience} stalled passes on, the allowed downtime is {@code firstStep}, doubled for
   * every further stalled pass, at most {@code ceiling} (OpenStack Nova, too, raises the allowed
   * downtime in steps). From pass {@code postCopyAfter} on, if {@code allowPostCopy}, the guest
   * switches to post-copy instead. A finished migration, or one already in post-copy, gets {@code
   * CONTINUE}.
   *
   * <p>Stateless like the built-in strategies: every directive follows from the input alone, and
   * the engine drops a directive equal to the last one it applied.
   *
   * @param firstStep the first downtime allowed once pre-copy stalls; positive
   * @param ceiling the most downtime ever allowed; at least {@code firstStep}
   * @param patience stalled passes before the first step; at least 1
   * @param postCopyAfter the pass from which pre-copy is given up; at least 2
   */
  public record DowntimeLadder(
      Duration firstStep, Duration ceiling, int patience, int postCopyAfter)
      implements MigrationStrategy {
    /** The strategy's id: {@code downtime-ladder}. */
    public static final String ID = "downtime-ladder";

    /** Checks every component, naming the one that is wrong. */
    public DowntimeLadder {
      Objects.requireNonNull(firstStep, "firstStep");
      Objects.requireNonNull(ceiling, "ceiling");
      if (firstStep.isNegative() || firstStep.isZero()) {
        throw new IllegalArgumentException("firstStep must be positive, but was " + firstStep);
      }
      if (ceiling.compareTo(firstStep) < 0) {
        throw new IllegalArgumentException(
            "ceiling must be at least firstStep (" + firstStep + "), but was " + ceiling);
      }
      if (patience < 1) {
        throw new IllegalArgumentException("patience must be >= 1, but was " + patience);
      }
      if (postCopyAfter < 2) {
        throw new IllegalArgumentException("postCopyAfter must be >= 2, but was " + postCopyAfter);
      }
    }

    /** 500 ms after 2 stalled passes, then 1 s and 2 s; post-copy from pass 10. */
    public static DowntimeLadder standard() {
      return new DowntimeLadder(Duration.ofMillis(500), Duration.ofSeconds(2), 2, 10);
    }

    @Override
    public String id() {
      return ID;
    }

    @Override
    public Directive decide(StrategyInput input) {
      ProgressSample latest = input.latest();
      if (latest.status() != ProgressSample.Status.ACTIVE
          || latest.mode() != MigrationMode.PRE_COPY) {
        return Directive.CONTINUE;
      }
      if (input.configuration().allowPostCopy() && latest.iteration() >= postCopyAfter) {
        return new Directive.SwitchToPostCopy();
      }
      long stalled = latest.iteration() - passOfLowestRemaining(input);
      if (stalled < patience) {
        return Directive.CONTINUE;
      }
      Duration downtime = firstStep;
      for (long step = patience; step < stalled && downtime.compareTo(ceiling) < 0; step++) {
        downtime = downtime.multipliedBy(2);
      }
      return new Directive.SetMaxDowntime(downtime.compareTo(ceiling) < 0 ? downtime : ceiling);
    }

    /** The pass of the earliest sample with the lowest data remaining, the latest included. */
    private static long passOfLowestRemaining(StrategyInput input) {
      List<ProgressSample> samples = new ArrayList<>(input.history());
      samples.add(input.latest());
      ProgressSample lowest = samples.get(0);
      for (ProgressSample sample : samples) {
        if (sample.dataRemaining() < lowest.dataRemaining()) {
          lowest = sample;
        }
      }
      return lowest.iteration();
    }
  }

  /**
   * One migration of the comparison.
   *
   * @param guest the VMI's name
   * @param strategy the strategy's id
   * @param state the final state
   * @param took from the start of data movement to the end, in virtual time
   * @param downtime the guest's pause at the switch, if it switched
   * @param directives the directives the engine applied, in order
   */
  public record Run(
      String guest,
      String strategy,
      MigrationState state,
      Duration took,
      Optional<Duration> downtime,
      List<MigrationEvent.DirectiveApplied> directives) {}

  /** Prints the comparison. */
  public static void main(String[] args) {
    compare(System.out);
  }

  /**
   * Migrates each guest with the default and with {@link DowntimeLadder#standard()}; prints both.
   */
  public static List<Run> compare(PrintStream out) {
    List<Run> runs = new ArrayList<>();
    for (Guest guest : GUESTS) {
      for (MigrationStrategy strategy :
          List.of(Strategies.kubeVirtDefault(), DowntimeLadder.standard())) {
        runs.add(migrate(guest, strategy));
      }
    }
    out.printf(
        Locale.ROOT,
        "1 GiB guests at %s/s per migration, allowPostCopy, virtual time%n",
        CONFIGURATION.bandwidthPerMigration());
    out.printf(
        Locale.ROOT,
        "%-8s %-16s %-10s %-9s %6s %9s  %s%n",
        "guest",
        "strategy",
        "phase",
        "mode",
        "took",
        "downtime",
        "directives applied (s after the start), or why it failed");
    for (Run run : runs) {
      out.printf(
          Locale.ROOT,
          "%-8s %-16s %-10s %-9s %5ds %9s  %s%n",
          run.guest(),
          run.strategy(),
          run.state().phase(),
          run.state().mode(),
          run.took().toSeconds(),
          run.downtime().map(d -> d.toMillis() + " ms").orElse("-"),
          run.state().failureReason().orElse(describe(run)));
    }
    return runs;
  }

  private static String describe(Run run) {
    if (run.directives().isEmpty()) {
      return "none";
    }
    Instant start = run.state().startTimestamp().orElseThrow();
    List<String> applied = new ArrayList<>();
    for (MigrationEvent.DirectiveApplied event : run.directives()) {
      String what =
          event.directive() instanceof Directive.SetMaxDowntime d
              ? "max downtime " + d.maxDowntime().toMillis() + " ms"
              : event.directive().getClass().getSimpleName();
      applied.add(what + " at " + Duration.between(start, event.timestamp()).toSeconds());
    }
    return String.join(", ", applied);
  }

  /** Migrates one 1 GiB guest from node01 to node02 on a fresh simulated cluster. */
  private static Run migrate(Guest guest, MigrationStrategy strategy) {
    String vmi = guest.name();
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(2)) {
      cluster
          .configure(CONFIGURATION)
          .strategy(strategy)
          .addVmi(
              vmi,
              v -> v.memory("1Gi").dirtyRate(guest.dirtyRate()).workingSet(guest.workingSet()));
      MigrationHandle handle =
          cluster.engine().migrate(VirtualMachineInstanceMigration.of("move-" + vmi, vmi));
      cluster.runUntilIdle();
      MigrationState state = handle.state();
      List<MigrationEvent> events = cluster.events();
      Optional<Duration> downtime = Optional.empty();
      List<MigrationEvent.DirectiveApplied> directives = new ArrayList<>();
      for (MigrationEvent event : events) {
        if (event instanceof MigrationEvent.Progress progress) {
          downtime = progress.sample().downtime();
        } else if (event instanceof MigrationEvent.DirectiveApplied applied) {
          directives.add(applied);
        }
      }
      Duration took =
          Duration.between(
              state.startTimestamp().orElseThrow(), state.endTimestamp().orElseThrow());
      return new Run(vmi, strategy.id(), state, took, downtime, List.copyOf(directives));
    }
  }
}
