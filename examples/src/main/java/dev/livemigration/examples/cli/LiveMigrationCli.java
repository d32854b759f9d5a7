package dev.livemigration.examples.cli;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.manifest.ManifestException;
import dev.livemigration.api.manifest.Manifests;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The {@code livemigration} command line: {@code virtctl migrate} and friends on the SDK.
 *
 * <p>Exit codes: 0 ok, 1 a migration failed, 2 bad input.
 */
@Command(
    name = "livemigration",
    mixinStandardHelpOptions = true,
    version = "livemigration 0.1.0-SNAPSHOT",
    description = "Live-migrates VMIs with KubeVirt's behaviour, on a simulated cluster.",
    subcommands = {
      LiveMigrationCli.Migrate.class,
      LiveMigrationCli.Status.class,
      LiveMigrationCli.Drain.class,
      LiveMigrationCli.Validate.class,
      SweepCommand.class
    })
public final class LiveMigrationCli {
  /** Everything went as asked. */
  public static final int OK = 0;

  /** A migration failed (or was cancelled). */
  public static final int MIGRATION_FAILED = 1;

  /** The input was bad: a manifest, an option, an unknown VMI. */
  public static final int BAD_INPUT = 2;

  private LiveMigrationCli() {}

  /** Runs the CLI and exits with its code. */
  public static void main(String[] args) {
    System.exit(
        run(
            new PrintWriter(System.out, true, java.nio.charset.StandardCharsets.UTF_8),
            new PrintWriter(System.err, true, java.nio.charset.StandardCharsets.UTF_8),
            args));
  }

  /** Runs the CLI, writing to {@code out} and {@code err}, and returns its exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(LiveMigrationCli.class).setOut(out).setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter errors = commandLine.getErr();
          if (e instanceof ManifestException || e instanceof MigrationRejectedException) {
            errors.println(e.getMessage());
            return BAD_INPUT;
          }
          if (e instanceof IllegalArgumentException) {
            errors.println("error: " + e.getMessage());
            return BAD_INPUT;
          }
          throw e;
        });
    cli.setExitCodeExceptionMapper(e -> BAD_INPUT);
    int code = cli.execute(args);
    return code == CommandLine.ExitCode.USAGE ? BAD_INPUT : code;
  }

  /** Options every command that runs an engine shares. */
  static final class ClusterOptions {
    @Option(
        names = "--config",
        description = "the KubeVirt CR with the cluster's migration settings")
    Path config;

    @Option(names = "--policy", description = "a MigrationPolicy manifest; repeatable")
    List<Path> policies = new ArrayList<>();

    @Option(
        names = {"-o", "--output"},
        defaultValue = "human",
        description = "human, json or yaml (default: ${DEFAULT-VALUE})")
    String output;

    MigrationConfiguration configuration() {
      return config == null
          ? MigrationConfiguration.defaults()
          : Manifests.read(config, KubeVirt.class).migrations();
    }

    List<MigrationPolicy> policies() {
      return policies.stream().map(p -> Manifests.read(p, MigrationPolicy.class)).toList();
    }

    Target target() {
      return new SimulatedTarget(configuration(), policies());
    }

    String format(MigrationState state) {
      return switch (output) {
        case "json" -> Manifests.toJson(state);
        case "yaml" -> Manifests.toYaml(state);
        case "human" -> StatusFormat.describe(state);
        default ->
            throw new IllegalArgumentException(
                "--output must be human, json or yaml, but was '" + output + "'");
      };
    }
  }

  /** {@code virtctl migrate}: migrates a VMI and prints its final migration state. */
  @Command(name = "migrate", description = "Migrate a VMI and print its migration state.")
  static final class Migrate implements Callable<Integer> {
    @Mixin ClusterOptions cluster;

    @Parameters(arity = "0..1", description = "the VMI to migrate")
    String vmi;

    @Option(
        names = {"-f", "--filename"},
        description = "a VirtualMachineInstanceMigration manifest")
    Path file;

    @Option(
        names = {"-n", "--namespace"},
        defaultValue = "default")
    String namespace;

    @Option(names = "--cancel-after", description = "cancel after this long, e.g. PT3S")
    Duration cancelAfter;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      VirtualMachineInstanceMigration request = request();
      try (Target target = cluster.target()) {
        MigrationHandle handle = target.engine().migrate(request);
        MigrationState state = target.await(List.of(handle), cancelAfter).get(0);
        spec.commandLine().getOut().print(cluster.format(state));
        return state.failed() ? MIGRATION_FAILED : OK;
      }
    }

    private VirtualMachineInstanceMigration request() {
      if ((file == null) == (vmi == null)) {
        throw new IllegalArgumentException("give either a VMI name or -f migration.yaml");
      }
      if (file != null) {
        return Manifests.read(file, VirtualMachineInstanceMigration.class);
      }
      return VirtualMachineInstanceMigration.builder()
          .namespace(namespace)
          .name("migration-" + vmi)
          .vmiName(vmi)
          .build();
    }
  }

  /** Prints a VMI's LiveMigratable condition, migration method and latest migration. */
  @Command(name = "status", description = "Print a VMI's migration status.")
  static final class Status implements Callable<Integer> {
    @Mixin ClusterOptions cluster;

    @Parameters(description = "the VMI")
    String vmi;

    @Option(
        names = {"-n", "--namespace"},
        defaultValue = "default")
    String namespace;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      try (Target target = cluster.target()) {
        var status = target.engine().status(namespace, vmi);
        PrintWriter out = spec.commandLine().getOut();
        out.print(
            switch (cluster.output) {
              case "json" -> Manifests.toJson(status);
              case "yaml" -> Manifests.toYaml(status);
              default -> StatusFormat.describe(status);
            });
        return OK;
      }
    }
  }

  /** Evacuates a node. */
  @Command(name = "drain", description = "Migrate every migratable VMI away from a node.")
  static final class Drain implements Callable<Integer> {
    @Mixin ClusterOptions cluster;

    @Parameters(description = "the node to drain")
    String node;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      try (Target target = cluster.target()) {
        var drain = target.engine().drain(node);
        List<MigrationState> states = target.await(drain.migrations(), null);
        PrintWriter out = spec.commandLine().getOut();
        for (int i = 0; i < states.size(); i++) {
          out.println(drain.migrations().get(i).request().vmiName() + ":");
          out.print(cluster.format(states.get(i)));
        }
        drain.skipped().forEach((vmi, why) -> out.println("skipped " + vmi + ": " + why));
        return states.stream().anyMatch(MigrationState::failed) ? MIGRATION_FAILED : OK;
      }
    }
  }

  /** Checks manifests and prints every problem with its field path. */
  @Command(name = "validate", description = "Check manifests; print every problem.")
  static final class Validate implements Callable<Integer> {
    @Option(
        names = {"-f", "--filename"},
        required = true,
        description = "the manifest file(s); repeatable")
    List<Path> files;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      int code = OK;
      for (Path file : files) {
        try {
          List<Object> objects = Manifests.readAll(file);
          for (Object object : objects) {
            spec.commandLine()
                .getOut()
                .println(file + ": " + object.getClass().getSimpleName() + " is valid");
          }
        } catch (ManifestException e) {
          spec.commandLine().getErr().println(e.getMessage());
          code = BAD_INPUT;
        }
      }
      return code;
    }
  }
}
