package dev.livemigration.examples.cli;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.manifest.ManifestException;
import dev.livemigration.api.spi.BackendException;
import dev.livemigration.api.spi.StoreException;
import dev.livemigration.examples.text.StatusFormat;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code livemigration} command line: {@code virtctl migrate}, {@code migrate-cancel} and
 * friends on the SDK, against a simulated cluster (the default) or libvirt hosts ({@code --host}).
 *
 * <p>Exit codes: {@value #OK} every migration ended as asked and every manifest is valid; {@value
 * #MIGRATION_FAILED} a migration did not (it failed, or a cancel came too late to stop it); {@value
 * #BAD_INPUT} bad input (an option, a file, a manifest, an unknown VMI or node, a rejected
 * migration); {@value #TARGET_FAILED} the target failed (a libvirt host could not be used, or an
 * unexpected error).
 */
@Command(
    name = "livemigration",
    mixinStandardHelpOptions = true,
    scope = ScopeType.INHERIT,
    version = "livemigration 0.1.0-SNAPSHOT",
    description = {
      "Live-migrates VMIs with KubeVirt's behaviour: on a simulated cluster in virtual time"
          + " (the default: node01..node03, vmi-fedora on node02), or on libvirt hosts given"
          + " with --host NAME=URI.",
      "One invocation is one process with its own engine: to cancel a migration, start it in"
          + " the same invocation (migrate-cancel, or a session script)."
    },
    subcommands = {
      LiveMigrationCli.Migrate.class,
      LiveMigrationCli.MigrateCancel.class,
      LiveMigrationCli.Status.class,
      LiveMigrationCli.DrainNode.class,
      SweepCommand.class
    })
public final class LiveMigrationCli {
  /**
   * Everything ended as asked: migrations succeeded (or a cancel stopped them), manifests valid.
   */
  public static final int OK = 0;

  /** A migration did not end as asked: it failed, or a cancel came too late to stop it. */
  public static final int MIGRATION_FAILED = 1;

  /** The input was bad: an option, a file, a manifest, an unknown VMI or node, a rejection. */
  public static final int BAD_INPUT = 2;

  /** The target failed: a libvirt host could not be used, or something unexpected broke. */
  public static final int TARGET_FAILED = 3;

  private static final Map<String, String> EXIT_CODES = exitCodes();

  @Option(
      names = {"-v", "--verbose"},
      scope = ScopeType.INHERIT,
      description =
          "show the library's log on standard error: -v for its INFO lines, -vv for debug"
              + " (default: warnings only)")
  boolean[] verbose = new boolean[0];

  private LiveMigrationCli() {}

  private static Map<String, String> exitCodes() {
    Map<String, String> codes = new LinkedHashMap<>();
    codes.put(
        String.valueOf(OK),
        "ok: every migration ended as asked (succeeded, or stopped by the cancel asked for);"
            + " every manifest is valid");
    codes.put(
        String.valueOf(MIGRATION_FAILED),
        "a migration did not end as asked: it failed, or a cancel came too late to stop it");
    codes.put(
        String.valueOf(BAD_INPUT),
        "bad input: an option, a file or manifest, an unknown VMI or node, a rejected migration");
    codes.put(
        String.valueOf(TARGET_FAILED),
        "the target failed: a libvirt host could not be used, or an unexpected error");
    return codes;
  }

  /** Runs the CLI on the process's streams and exits with its code. */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    Reader in = new InputStreamReader(System.in, StandardCharsets.UTF_8);
    System.exit(run(in, out, err, args));
  }

  /**
   * Runs the CLI, reading a session script from standard input if asked, writing to {@code out} and
   * {@code err}, and returns its exit code.
   */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return run(new InputStreamReader(System.in, StandardCharsets.UTF_8), out, err, args);
  }

  /**
   * Runs the CLI, reading a session script from {@code in} if asked ({@code session} without {@code
   * -f}, or with {@code -f -}), writing to {@code out} and {@code err}, and returns its exit code;
   * both writers are flushed.
   */
  public static int run(Reader in, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(LiveMigrationCli.class);
    cli.addSubcommand(new ValidateCommand(in));
    cli.addSubcommand(new SessionCommand(in));
    cli.setOut(out).setErr(err);
    exitCodesInHelp(cli);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> fail(e, err));
    cli.setParameterExceptionHandler(
        (e, arguments) -> {
          err.println("error: " + e.getMessage());
          err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
          return BAD_INPUT;
        });
    cli.setExecutionStrategy(
        parsed -> {
          Verbosity.apply(Verbosity.count(parsed));
          return new CommandLine.RunLast().execute(parsed);
        });
    try {
      return cli.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  private static void exitCodesInHelp(CommandLine command) {
    command
        .getCommandSpec()
        .usageMessage()
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(EXIT_CODES);
    command.getSubcommands().values().forEach(LiveMigrationCli::exitCodesInHelp);
  }

  /** Maps a command's failure to an exit code, printing what went wrong. */
  private static int fail(Exception e, PrintWriter err) {
    if (e instanceof ManifestException) {
      err.println(e.getMessage());
      return BAD_INPUT;
    }
    if (e instanceof IllegalArgumentException
        || e instanceof MigrationRejectedException
        || e instanceof UncheckedIOException) {
      err.println("error: " + e.getMessage());
      return BAD_INPUT;
    }
    if (e instanceof BackendException || e instanceof StoreException) {
      err.println("error: " + e.getMessage());
      return TARGET_FAILED;
    }
    err.println("error: " + e);
    e.printStackTrace(err);
    return TARGET_FAILED;
  }

  /** {@code virtctl migrate}: migrates a VMI, waits for the end and prints its migration state. */
  @Command(
      name = "migrate",
      description = {
        "Migrate a VMI (or the migration of -f FILE), wait until it ends and print its"
            + " Migration State.",
        "Exits 0 if it succeeded, 1 if it failed."
      })
  static final class Migrate implements Callable<Integer> {
    @Mixin RequestOptions what;

    @Mixin ClusterOptions cluster;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      VirtualMachineInstanceMigration request = what.request();
      try (Session session = new Session(cluster.target())) {
        session.migrate(request);
        return printLast(session, cluster, spec);
      }
    }
  }

  /**
   * {@code virtctl migrate-cancel}: cancels a VMI's migration. One invocation is one process, so
   * the migration is started in the same invocation, runs for {@code --after}, and is then
   * cancelled by its VMI's name.
   */
  @Command(
      name = "migrate-cancel",
      description = {
        "Start migrating a VMI (or the migration of -f FILE), let it run for --after, then cancel"
            + " it by the VMI's name as virtctl migrate-cancel does; wait until it ends and print"
            + " its Migration State (Abort Requested, Abort Status).",
        "One invocation is one process with its own engine, so the migration to cancel is"
            + " started here; use `session` to script other steps in between.",
        "With --store, the migration to cancel is the VMI's migration in progress in the store,"
            + " started by another invocation or replica: the cancel is recorded for the replica"
            + " that drives it, and nothing is started here.",
        "Exits 0 if the cancel stopped the migration (Abort Status: Succeeded), 1 if it came too"
            + " late (the migration completed, or was in post-copy)."
      })
  static final class MigrateCancel implements Callable<Integer> {
    @Mixin RequestOptions what;

    @Mixin ClusterOptions cluster;

    @Option(
        names = "--after",
        paramLabel = "DURATION",
        defaultValue = "1s",
        converter = Converters.NonNegativeDuration.class,
        description =
            "how long the migration runs before the cancel, as 500ms, 3s, 2m or PT3S; virtual"
                + " time on the simulated cluster (default: ${DEFAULT-VALUE})")
    Duration after;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      VirtualMachineInstanceMigration request = what.request();
      try (Session session = new Session(cluster.target())) {
        if (cluster.store != null) {
          return cancelInStore(session, request);
        }
        session.migrate(request);
        session.pass(after);
        session.cancel(request.namespace(), request.vmiName());
        return printLast(session, cluster, spec);
      }
    }

    /**
     * With {@code --store}, the migration to cancel was started by another invocation or replica:
     * records the cancel for its owner and prints what the cancel did and the migration's state.
     */
    private int cancelInStore(Session session, VirtualMachineInstanceMigration request) {
      Optional<MigrationHandle> cancelled =
          session.engine().cancelForVmi(request.namespace(), request.vmiName());
      PrintWriter err = spec.commandLine().getErr();
      if (cancelled.isEmpty()) {
        err.println(request.vmiName() + ": no migration of this VMI is in progress in the store");
        return MIGRATION_FAILED;
      }
      MigrationState state = cancelled.get().state();
      boolean refused = state.abortStatus().orElse(null) == AbortStatus.FAILED;
      err.println(
          request.vmiName()
              + ": "
              + (refused
                  ? "the cancel was refused: " + state.failureReason().orElse("")
                  : "the cancel was recorded; the replica that drives the migration aborts it"));
      spec.commandLine().getOut().print(cluster.output().format(state, StatusFormat::describe));
      return refused ? MIGRATION_FAILED : OK;
    }
  }

  /**
   * Waits for the session's migrations and prints the state of the last one, with a note on
   * standard error if it did not end as asked.
   */
  private static int printLast(Session session, ClusterOptions cluster, CommandSpec spec) {
    List<Session.Outcome> outcomes = session.finish();
    Session.Outcome last = outcomes.get(outcomes.size() - 1);
    MigrationState state = last.state();
    spec.commandLine().getOut().print(cluster.output().format(state, StatusFormat::describe));
    if (!last.asAsked()) {
      spec.commandLine().getErr().println(last.request().vmiName() + ": " + last.headline());
    }
    return Session.exitCode(outcomes);
  }

  /** Prints a VMI's LiveMigratable condition, migration method and latest migration. */
  @Command(
      name = "status",
      description = "Print a VMI's status: its LiveMigratable condition and Migration Method.")
  static final class Status implements Callable<Integer> {
    @Mixin VmiOptions vmi;

    @Mixin ClusterOptions cluster;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      try (Session session = new Session(cluster.target())) {
        spec.commandLine()
            .getOut()
            .print(
                cluster
                    .output()
                    .format(session.status(vmi.namespace, vmi.name), StatusFormat::describe));
        return OK;
      }
    }
  }

  /** Evacuates a node and prints how each migration ended. */
  @Command(
      name = "drain",
      description = {
        "Migrate every migratable VMI away from a node, wait until they end and print each"
            + " Migration State and the VMIs that could not move.",
        "Exits 0 if every migration succeeded, 1 if one failed."
      })
  static final class DrainNode implements Callable<Integer> {
    @Parameters(paramLabel = "NODE", description = "the node to drain")
    String node;

    @Mixin ClusterOptions cluster;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      try (Session session = new Session(cluster.target())) {
        session.drain(node);
        List<Session.Outcome> outcomes = session.finish();
        spec.commandLine()
            .getOut()
            .print(
                cluster
                    .output()
                    .report(session.report(outcomes), report -> session.describe(outcomes)));
        return Session.exitCode(outcomes);
      }
    }
  }
}
