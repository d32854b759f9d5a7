package dev.livemigration.examples;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.core.dataplane.LinkBreaker;
import dev.livemigration.core.dataplane.PagedMemory;
import dev.livemigration.examples.metrics.MetricsServer;
import dev.livemigration.examples.text.StatusFormat;
import dev.livemigration.examples.text.Units;
import dev.livemigration.testkit.SimulatedGuest;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The main job: live-migrates a guest that keeps dirtying its memory between two nodes on loopback,
 * through the real engine and the built-in data plane over TLS, with a progress bar, the final
 * migration state in the guide's format and a verdict checked independently (the digest of the
 * source as paused at the switch against the target's).
 *
 * <p>Exit codes: {@value #OK} the guest runs on the target with identical memory; {@value
 * #MIGRATION_FAILED} the migration failed or was cancelled (or the demo could not run); {@value
 * #BAD_OPTION} an option was wrong.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    version = "live-migration demo 0.1.0-SNAPSHOT",
    sortOptions = false,
    description = {
      "Live-migrates a guest that dirties its memory from node-a to node-b on 127.0.0.1, through"
          + " the engine and the built-in data plane, and shows the progress, the final migration"
          + " state and a verdict.",
      ""
    },
    footer = {
      "",
      "Exit codes: 0 migrated and memory identical, 1 the migration failed or was cancelled,"
          + " 2 bad option.",
      "Library logs: warnings only; add -Dorg.slf4j.simpleLogger.defaultLogLevel=info for more."
    })
public final class Demo implements Callable<Integer> {
  /** The guest runs on the target, its memory verified identical. */
  public static final int OK = 0;

  /** The migration failed or was cancelled, or the demo could not run. */
  public static final int MIGRATION_FAILED = 1;

  /** An option's value broke its rule. */
  public static final int BAD_OPTION = 2;

  /** How long a failed migration's guest is watched for writes, to show it still runs: 2 s. */
  private static final Duration RUNNING_CHECK = Duration.ofSeconds(2);

  private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

  @Option(
      names = "--strategy",
      defaultValue = "pre-copy",
      paramLabel = "<id>",
      description = "pre-copy, post-copy, auto-converge or hybrid (default: ${DEFAULT-VALUE})")
  private String strategy;

  @Option(
      names = "--memory",
      defaultValue = "1Gi",
      paramLabel = "<quantity>",
      description = "the guest's memory, a multiple of 4Ki (default: ${DEFAULT-VALUE})")
  private String memory;

  @Option(
      names = "--dirty-rate",
      defaultValue = "50Mi",
      paramLabel = "<quantity>",
      description = "bytes per second the guest dirties, 0 for idle (default: ${DEFAULT-VALUE})")
  private String dirtyRate;

  @Option(
      names = "--bandwidth",
      defaultValue = "0",
      paramLabel = "<quantity>",
      description =
          "bytes per second per migration, 0 for unlimited (default: ${DEFAULT-VALUE};"
              + " KubeVirt's is 64Mi)")
  private String bandwidth;

  @Option(
      names = "--tls",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "migrate over TLS with a throwaway PKI; --no-tls sends plain TCP (default: on)")
  private boolean tls;

  @Option(
      names = "--cancel-after",
      paramLabel = "<seconds>",
      description = "cancel the migration after this many seconds, like virtctl migrate-cancel")
  private String cancelAfter;

  @Option(
      names = "--break-link-after",
      paramLabel = "<seconds>",
      description =
          "post-copy only: this many seconds after the switch to post-copy, break the migration's"
              + " connections once; the migration pauses, reconnects and resumes")
  private String breakLinkAfter;

  @Option(
      names = "--metrics-port",
      paramLabel = "<port>",
      description =
          "serve the migration's metrics (KubeVirt's names, Prometheus text format) on"
              + " http://127.0.0.1:<port>/metrics while the demo runs; 0 for any free port")
  private String metricsPort;

  @Spec private CommandLine.Model.CommandSpec spec;

  private final PrintStream out;
  private final boolean interactive;

  private Demo(PrintStream out, boolean interactive) {
    this.out = out;
    this.interactive = interactive;
  }

  /** Runs the demo on the terminal; exits with its code when that is not {@value #OK}. */
  public static void main(String[] args) {
    if (System.getProperty(LOG_LEVEL) == null) {
      System.setProperty(LOG_LEVEL, "warn");
    }
    int code = run(System.out, System.err, System.console() != null, args);
    if (code != OK) {
      System.exit(code);
    }
  }

  /**
   * Runs the demo, writing to {@code out} (progress a line at a time) and {@code err}, and returns
   * its exit code.
   */
  public static int run(PrintStream out, PrintStream err, String... args) {
    return run(out, err, false, args);
  }

  static int run(PrintStream out, PrintStream err, boolean interactive, String... args) {
    CommandLine cli =
        new CommandLine(new Demo(out, interactive))
            .setOut(new PrintWriter(out, true, StandardCharsets.UTF_8))
            .setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cli.setParameterExceptionHandler(
        (e, arguments) -> {
          PrintWriter errors = e.getCommandLine().getErr();
          errors.println("error: " + e.getMessage());
          errors.println("Run with --help to see the options.");
          return BAD_OPTION;
        });
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("error: the demo could not run: " + e);
          return MIGRATION_FAILED;
        });
    return cli.execute(args);
  }

  @Override
  public Integer call() throws Exception {
    DemoSettings settings;
    Integer port = null;
    try {
      if (metricsPort != null) {
        try {
          port = MetricsServer.port("--metrics-port", metricsPort);
        } catch (IllegalArgumentException e) {
          throw new DemoSettings.BadOption(
              "--metrics-port",
              "must be a TCP port from 1 to 65535 (or 0 for any free one)",
              metricsPort);
        }
      }
      settings =
          DemoSettings.parse(
              strategy, memory, dirtyRate, bandwidth, tls, cancelAfter, breakLinkAfter);
      String room = DemoCluster.roomFor(settings.memory());
      if (room != null) {
        throw new DemoSettings.BadOption("--memory", room, memory);
      }
    } catch (DemoSettings.BadOption e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    out.printf(
        "Live-migrating %s/%s (%s of memory, dirtying %s) from %s to %s on 127.0.0.1%n"
            + "over %s; strategy %s, bandwidth %s.%n",
        DemoCluster.NAMESPACE,
        DemoCluster.VMI,
        Units.bytes(settings.memory()),
        settings.dirtyRate() == 0 ? "nothing: idle" : Units.rate(settings.dirtyRate()),
        DemoCluster.SOURCE_NODE,
        DemoCluster.TARGET_NODE,
        settings.tls() ? "TLS (a throwaway PKI made now)" : "plain TCP",
        settings.strategy(),
        Units.rate(settings.bandwidth()));
    ProgressBar bar = new ProgressBar(out, interactive, System::nanoTime);
    PrintStream stderr = System.err;
    if (interactive) {
      // Log lines (stderr) start on a line of their own instead of trailing the bar.
      System.setErr(bar.beside(stderr));
    }
    long preparing = System.nanoTime();
    MetricsServer metrics = null;
    if (port != null) {
      try {
        metrics = MetricsServer.start("--metrics-port", port);
      } catch (java.io.UncheckedIOException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      out.printf("Serving metrics on %s%n", metrics.uri());
    }
    MigrationListener listener = metrics == null ? bar : both(metrics.listener(), bar);
    try (MetricsServer serving = metrics;
        DemoCluster cluster = new DemoCluster(settings, listener)) {
      out.printf(
          "Ready in %s (%sguest memory filled, engine and data plane up); migrating.%n",
          Units.duration(Duration.ofNanos(System.nanoTime() - preparing)),
          settings.tls() ? "PKI made, " : "");
      return migrate(settings, cluster, bar);
    } finally {
      if (interactive) {
        System.setErr(stderr);
      }
    }
  }

  private static MigrationListener both(MigrationListener first, MigrationListener second) {
    return event -> {
      try {
        first.onEvent(event);
      } finally {
        second.onEvent(event);
      }
    };
  }

  private int migrate(DemoSettings settings, DemoCluster cluster, ProgressBar bar)
      throws InterruptedException {
    SimulatedGuest guest = cluster.guest();
    guest.start();
    long started = System.nanoTime();
    MigrationHandle handle =
        cluster
            .engine()
            .migrate(VirtualMachineInstanceMigration.of("migration-job", DemoCluster.VMI));
    Duration breakAfter = settings.breakLinkAfter();
    if (breakAfter != null) {
      breakLinkInPostCopy(handle, breakAfter, cluster, bar);
    }
    Duration cancelAfter = settings.cancelAfter();
    boolean cancelled = cancelAfter != null && !finishedWithin(handle, cancelAfter);
    if (cancelled) {
      cluster.engine().cancelForVmi(DemoCluster.NAMESPACE, DemoCluster.VMI);
    }
    MigrationState state = await(handle);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    long writesAtEnd = guest.writes();
    bar.finish();
    if (cancelAfter != null && !cancelled) {
      out.println("The migration ended before --cancel-after; there was nothing to cancel.");
    }
    out.println();
    out.print(StatusFormat.describe(state));
    out.println();
    ProgressSample last = bar.last().orElse(null);
    if (state.failed()) {
      out.println(failureVerdict(state, settings, cluster, took, last, writesAtEnd));
      return MIGRATION_FAILED;
    }
    Verification check = verify(cluster);
    out.println(successVerdict(state, settings, took, last, check));
    return check.identical() ? OK : MIGRATION_FAILED;
  }

  /** Waits for post-copy, then {@code after}, and breaks the migration's connections once. */
  private void breakLinkInPostCopy(
      MigrationHandle handle, Duration after, DemoCluster cluster, ProgressBar bar)
      throws InterruptedException {
    while (!handle.completion().isDone() && !handle.state().mode().isPostCopy()) {
      TimeUnit.MILLISECONDS.sleep(5);
    }
    if (handle.completion().isDone() || finishedWithin(handle, after)) {
      bar.note("the migration ended before --break-link-after; no link was broken");
      return;
    }
    int broken = cluster.linkBreaker().map(LinkBreaker::breakLinks).orElse(0);
    bar.note("--break-link-after: broke " + broken + " connection(s) of the migration");
  }

  private static boolean finishedWithin(MigrationHandle handle, Duration wait)
      throws InterruptedException {
    try {
      handle.completion().get(wait.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("the migration's completion failed", e);
    }
  }

  private static MigrationState await(MigrationHandle handle) throws InterruptedException {
    try {
      return handle.completion().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("the migration's completion failed", e);
    }
  }

  /** The user's own check of a finished migration: source as paused at the switch vs target. */
  private record Verification(boolean paused, boolean moved, String source, String target) {
    boolean identical() {
      return paused && moved && source.equals(target);
    }
  }

  private Verification verify(DemoCluster cluster) {
    out.println(
        "Verifying: SHA-256 of the source's memory (paused at the switch) and the target's...");
    PagedMemory source = cluster.guest().memory();
    PagedMemory target = cluster.currentMemory();
    return new Verification(
        source.isPaused(), target != source, source.digestHex(), target.digestHex());
  }

  private static String successVerdict(
      MigrationState state,
      DemoSettings settings,
      Duration took,
      ProgressSample last,
      Verification check) {
    StringBuilder verdict = new StringBuilder("Verdict: migrated to ");
    verdict.append(state.targetNode().orElse("?")).append(" in ").append(Units.duration(took));
    verdict.append(" (").append(settings.strategy());
    if (last != null) {
      verdict
          .append(", ")
          .append(last.iteration())
          .append(last.iteration() == 1 ? " pass" : " passes");
    }
    if (state.mode() == MigrationMode.POST_COPY) {
      verdict.append(", switched to post-copy");
    }
    if (last != null && last.linkRecoveries() > 0) {
      verdict
          .append(", link broken and recovered ")
          .append(last.linkRecoveries())
          .append(last.linkRecoveries() == 1 ? " time" : " times");
    }
    verdict.append("), downtime ");
    verdict.append(
        last == null ? "unknown" : last.downtime().map(Units::millis).orElse("not reported"));
    if (last != null) {
      verdict
          .append(", sent ")
          .append(Units.bytes(last.dataProcessed()))
          .append(
              String.format(
                  Locale.ROOT,
                  " (%.2fx the memory)",
                  last.dataProcessed() / (double) settings.memory()));
    }
    verdict.append(settings.tls() ? " over TLS" : " over plain TCP").append("; ");
    if (check.identical()) {
      verdict
          .append("memory verified identical: SHA-256 ")
          .append(abbreviate(check.source()))
          .append(" on the source as paused at the switch and on the target.");
    } else if (!check.moved()) {
      verdict.append("memory NOT verified: the data plane still holds the source's memory.");
    } else if (!check.paused()) {
      verdict.append("memory NOT verified: the source was not paused at the switch.");
    } else {
      verdict
          .append("memory DIFFERS: source ")
          .append(abbreviate(check.source()))
          .append(", target ")
          .append(abbreviate(check.target()))
          .append('.');
    }
    state
        .abortStatus()
        .filter(status -> status == AbortStatus.FAILED)
        .ifPresent(status -> verdict.append(" The cancel came too late to stop it."));
    return verdict.toString();
  }

  private static String failureVerdict(
      MigrationState state,
      DemoSettings settings,
      DemoCluster cluster,
      Duration took,
      ProgressSample last,
      long writesAtEnd)
      throws InterruptedException {
    StringBuilder verdict = new StringBuilder("Verdict: ");
    boolean cancelled =
        state.abortRequested() && state.abortStatus().orElse(null) == AbortStatus.SUCCEEDED;
    verdict
        .append(cancelled ? "cancelled" : "failed")
        .append(" after ")
        .append(Units.duration(took));
    if (last != null) {
      verdict.append(", ").append(Units.bytes(last.dataProcessed())).append(" sent");
    }
    if (!cancelled) {
      verdict.append(": ").append(state.failureReason().orElse("no reason given"));
    }
    verdict.append("; ");
    PagedMemory source = cluster.guest().memory();
    boolean onSource =
        cluster.currentMemory() == source
            && !source.isPaused()
            && cluster.currentNode().equals(DemoCluster.SOURCE_NODE);
    if (onSource) {
      verdict
          .append("the guest keeps running on ")
          .append(DemoCluster.SOURCE_NODE)
          .append(", intact: its memory is still the source's and not paused");
      long writes = writesSince(cluster.guest(), writesAtEnd);
      verdict.append(
          writes > 0
              ? ", and the guest has written to it " + writes + " times since the migration ended."
              : settings.dirtyRate() == 0
                  ? " (the guest is idle)."
                  : ", but the guest has not written to it since the migration ended!");
    } else {
      verdict
          .append("the guest is NOT running on the source: it is on ")
          .append(cluster.currentNode())
          .append(source.isPaused() ? " with the source paused." : ".");
    }
    return verdict.toString();
  }

  /**
   * Returns how many writes the guest did since it had done {@code before}, waiting (at most {@link
   * #RUNNING_CHECK}) for one if there is none yet: 0 means an idle or stuck guest.
   */
  private static long writesSince(SimulatedGuest guest, long before) throws InterruptedException {
    long deadline = System.nanoTime() + RUNNING_CHECK.toNanos();
    while (guest.writes() == before && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(10);
    }
    return guest.writes() - before;
  }

  private static String abbreviate(String hex) {
    return hex.length() <= 16 ? hex : hex.substring(0, 8) + ".." + hex.substring(hex.length() - 8);
  }
}
