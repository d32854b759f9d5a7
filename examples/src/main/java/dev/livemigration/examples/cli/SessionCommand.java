package dev.livemigration.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livemigration.api.Drain;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.examples.text.StatusFormat;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Runs a script of steps against one target in one invocation, so that a migration can be watched
 * and cancelled while it runs: {@code migrate} starts a migration and returns (as {@code virtctl
 * migrate} does), {@code wait} lets time pass, {@code status} prints a VMI's status, {@code
 * migrate-cancel} cancels a VMI's migration, {@code drain} starts evacuating a node. Every line is
 * checked before the first runs.
 */
@Command(
    name = "session",
    description = {
      "Run a script of steps against one target, one step per line, so that migrations can be"
          + " watched and cancelled while they run. Every line is checked before the first runs;"
          + " at the end the session waits for every migration and prints how each ended.",
      "Exits 0 if every migration ended as asked (succeeded, or stopped by the session's"
          + " cancel), 1 if one did not."
    },
    footer = {
      "%nSteps (one per line; # starts a comment; words are separated by spaces):",
      "  migrate VMI [-n NAMESPACE]   start a migration and go on, as virtctl migrate",
      "  migrate -f FILE              the same from a VirtualMachineInstanceMigration",
      "  migrate-cancel VMI [-n NS]   cancel the VMI's migration in progress",
      "  status VMI [-n NAMESPACE]    print the VMI's status now",
      "  drain NODE                   start migrating every VMI off NODE",
      "  wait DURATION                let 500ms, 3s, 2m or PT3S pass",
      "  wait                         wait until every migration has ended",
      "Files are relative to the working directory.",
      "%nExample, on the simulated cluster:",
      "  migrate vmi-fedora",
      "  wait 3s",
      "  status vmi-fedora",
      "  migrate-cancel vmi-fedora"
    })
final class SessionCommand implements Callable<Integer> {
  private final Reader stdin;

  @Option(
      names = {"-f", "--filename"},
      paramLabel = "SCRIPT",
      description = "the script; - or none for standard input")
  String script;

  @Mixin ClusterOptions cluster;

  @Spec CommandSpec spec;

  SessionCommand(Reader stdin) {
    this.stdin = stdin;
  }

  @Override
  public Integer call() {
    List<Line> lines = parse(read());
    Output output = cluster.output();
    PrintWriter out = spec.commandLine().getOut();
    try (Session session = new Session(cluster.target())) {
      for (Line line : lines) {
        if (output == Output.HUMAN) {
          out.println(stamp(session, line.text()));
        }
        String printed;
        try {
          printed = line.step().run(session, output);
        } catch (IllegalArgumentException | UncheckedIOException | MigrationRejectedException e) {
          throw new IllegalArgumentException(line.where() + ": " + e.getMessage(), e);
        }
        out.print(
            output == Output.HUMAN || printed.isEmpty() ? printed : printed + output.separator());
      }
      List<Session.Outcome> outcomes = session.finish();
      if (output == Output.HUMAN) {
        out.println(stamp(session, "end: every migration has ended"));
      }
      out.print(output.report(session.report(outcomes), report -> session.describe(outcomes)));
      return Session.exitCode(outcomes);
    }
  }

  /** {@code [+3.0s] text}: the time since the session started, on the target's clock. */
  private static String stamp(Session session, String text) {
    return String.format(Locale.ROOT, "[+%.1fs] %s", session.elapsed().toMillis() / 1000.0, text);
  }

  private List<String> read() {
    try {
      if (script == null || script.equals("-")) {
        return new BufferedReader(stdin).lines().toList();
      }
      return Files.readAllLines(Path.of(script));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the script " + script + ": " + e, e);
    }
  }

  /** Parses every line before any runs, so that a typo on line 9 does not strike mid-way. */
  private static List<Line> parse(List<String> text) {
    List<Line> lines = new ArrayList<>();
    for (int i = 0; i < text.size(); i++) {
      String content = text.get(i).replaceFirst("(^|\\s)#.*", "").strip();
      if (content.isEmpty()) {
        continue;
      }
      String where = "line " + (i + 1) + " '" + content + "'";
      CommandLine parser = new CommandLine(new Steps());
      try {
        CommandLine.ParseResult result = parser.parseArgs(content.split("\\s+"));
        if (!result.hasSubcommand()) {
          throw new IllegalArgumentException(where + ": a step is missing");
        }
        Step step = (Step) result.subcommand().commandSpec().userObject();
        lines.add(new Line(where, content, step));
      } catch (CommandLine.ParameterException e) {
        throw new IllegalArgumentException(
            where
                + ": "
                + e.getMessage()
                + "; steps are migrate, migrate-cancel, status, drain and wait");
      }
    }
    return lines;
  }

  /**
   * One line for people: {@code migration default/job of VMI vmi-fedora: created, phase Pending}.
   */
  private static String said(
      VirtualMachineInstanceMigration request, String what, MigrationState state) {
    return "migration "
        + request.namespace()
        + "/"
        + request.name()
        + " of VMI "
        + request.vmiName()
        + ": "
        + what
        + ", phase "
        + StatusFormat.pascal(state.phase().name())
        + "\n";
  }

  private record Line(String where, String text, Step step) {}

  /** One step of a script: runs against the session and returns what to print. */
  interface Step {
    String run(Session session, Output output);
  }

  /** The steps a script line may name. */
  @Command(
      name = "step",
      subcommands = {
        StartMigration.class,
        CancelMigration.class,
        PrintStatus.class,
        StartDrain.class,
        Wait.class
      })
  static final class Steps {}

  @Command(name = "migrate")
  static final class StartMigration implements Step {
    @Mixin RequestOptions what;

    @Override
    public String run(Session session, Output output) {
      VirtualMachineInstanceMigration request = what.request();
      MigrationHandle handle = session.migrate(request);
      return output.format(request, r -> said(r, "created", handle.state()));
    }
  }

  @Command(name = "migrate-cancel")
  static final class CancelMigration implements Step {
    @Mixin VmiOptions vmi;

    @Override
    public String run(Session session, Output output) {
      Session.Cancel cancel = session.cancel(vmi.namespace, vmi.name);
      return output.format(
          cancel.migration().state(),
          state ->
              said(
                  cancel.migration().request(),
                  cancel.inProgress() ? "cancel requested" : "had already ended",
                  state));
    }
  }

  @Command(name = "status")
  static final class PrintStatus implements Step {
    @Mixin VmiOptions vmi;

    @Override
    public String run(Session session, Output output) {
      return output.format(session.status(vmi.namespace, vmi.name), StatusFormat::describe);
    }
  }

  @Command(name = "drain")
  static final class StartDrain implements Step {
    @Parameters(paramLabel = "NODE")
    String node;

    @Override
    public String run(Session session, Output output) {
      Drain drain = session.drain(node);
      ObjectNode report = Output.object().put("node", drain.nodeName());
      ArrayNode started = report.putArray("migrations");
      drain.migrations().stream()
          .map(MigrationHandle::request)
          .forEach(
              r ->
                  started
                      .addObject()
                      .put("namespace", r.namespace())
                      .put("name", r.name())
                      .put("vmiName", r.vmiName()));
      ArrayNode skipped = report.putArray("skipped");
      drain.skipped().forEach((v, why) -> skipped.addObject().put("vmi", v).put("reason", why));
      return output.report(report, r -> describe(drain));
    }

    private static String describe(Drain drain) {
      StringBuilder text = new StringBuilder();
      for (MigrationHandle handle : drain.migrations()) {
        text.append(said(handle.request(), "created", handle.state()));
      }
      drain
          .skipped()
          .forEach(
              (v, why) -> text.append("skipped ").append(v).append(": ").append(why).append('\n'));
      return text.toString();
    }
  }

  @Command(name = "wait")
  static final class Wait implements Step {
    @Parameters(
        arity = "0..1",
        paramLabel = "DURATION",
        converter = Converters.NonNegativeDuration.class)
    Duration duration;

    @Override
    public String run(Session session, Output output) {
      if (duration == null) {
        session.finish();
      } else {
        session.pass(duration);
      }
      return "";
    }
  }
}
