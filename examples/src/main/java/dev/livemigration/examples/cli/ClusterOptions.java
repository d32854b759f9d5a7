package dev.livemigration.examples.cli;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.api.manifest.Manifests;
import dev.livemigration.examples.metrics.MetricsServer;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options of every command that runs an engine: the cluster's {@code KubeVirt} CR, migration
 * policies, the target (the simulated cluster unless {@code --host} is given) and the output.
 */
final class ClusterOptions {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "a KubeVirt CR (kubevirt.yaml) with the cluster's migration settings and network"
              + " binding plugins")
  Path config;

  @Option(
      names = "--policy",
      paramLabel = "FILE",
      description = "a MigrationPolicy manifest; repeatable")
  List<Path> policies = new ArrayList<>();

  @Option(
      names = "--host",
      paramLabel = "NAME=URI",
      description = {
        "a libvirt host as a node, as node01=qemu+tls://node01.example/system; repeatable.",
        "Without --host the target is the simulated cluster: node01..node03 and vmi-fedora"
            + " on node02, in virtual time."
      })
  List<String> hosts = new ArrayList<>();

  @Option(
      names = "--cluster",
      paramLabel = "FILE",
      description = {
        "KubeVirt manifests for the simulated cluster instead of its vmi-fedora: running"
            + " VirtualMachineInstances (placed on their status.nodeName, nodes added as"
            + " needed; idle guests) with their PersistentVolumeClaims, MigrationPolicies and a"
            + " KubeVirt CR."
      })
  Path cluster;

  @Option(
      names = "--store",
      paramLabel = "JDBC_URL",
      description = {
        "keep the migrations in PostgreSQL, shared by every invocation and replica that names the"
            + " same database, as jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres;"
            + " in this process's memory otherwise.",
        "With it, migrate, status and migrate-cancel run as separate processes see the same"
            + " migrations."
      })
  String store;

  @Option(
      names = "--replica",
      paramLabel = "NAME",
      description =
          "this invocation's name among the replicas of --store (default: cli-<process id>)")
  String replica;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      description = {
        "serve the engine's metrics (KubeVirt's names, Prometheus text format) on"
            + " http://127.0.0.1:PORT/metrics while the command runs; 0 for any free port."
            + " Loopback only."
      })
  String metricsPort;

  @Mixin Output.Option outputOption;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  /** The {@code --output} format. */
  Output output() {
    return outputOption.format;
  }

  /**
   * The KubeVirt CR of {@code --config}: its migration settings and the binding plugins it
   * registers as migratable; KubeVirt's defaults and no plugins without it.
   */
  KubeVirt kubeVirt() {
    return config == null ? KubeVirt.builder().build() : Manifests.read(config, KubeVirt.class);
  }

  /** The policies of every {@code --policy} file, in order. */
  List<MigrationPolicy> policies() {
    return policies.stream().map(p -> Manifests.read(p, MigrationPolicy.class)).toList();
  }

  /**
   * The libvirt hosts of {@code --host}, by node name, in the order given.
   *
   * @throws IllegalArgumentException if one is not {@code NAME=URI} with a URI that has a scheme,
   *     or a name is given twice
   */
  Map<String, String> hosts() {
    Map<String, String> parsed = new LinkedHashMap<>();
    for (String host : hosts) {
      int equals = host.indexOf('=');
      if (equals <= 0 || equals == host.length() - 1) {
        throw new IllegalArgumentException(
            "--host must be NAME=URI, as node01=qemu+tls://node01.example/system, but was '"
                + host
                + "'");
      }
      String name = host.substring(0, equals);
      String uri = host.substring(equals + 1);
      checkUri(name, uri);
      String earlier = parsed.putIfAbsent(name, uri);
      if (earlier != null) {
        throw new IllegalArgumentException(
            "--host names must be unique, but "
                + name
                + " was given twice ('"
                + earlier
                + "' and '"
                + uri
                + "')");
      }
    }
    return parsed;
  }

  private static void checkUri(String name, String uri) {
    String rule =
        "--host "
            + name
            + " must have a libvirt URI with a scheme, as qemu+tls://node01.example/system or"
            + " qemu:///system, but was '"
            + uri
            + "'";
    try {
      if (new URI(uri).getScheme() == null) {
        throw new IllegalArgumentException(rule);
      }
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(rule + " (" + e.getReason() + ")", e);
    }
  }

  /** The shared store of {@code --store}, or null for the engine's own memory. */
  SharedStore sharedStore() {
    if (store == null) {
      return null;
    }
    if (replica != null && replica.isBlank()) {
      throw new IllegalArgumentException("--replica must not be blank, but was '" + replica + "'");
    }
    return SharedStore.open(
        store, replica != null ? replica : "cli-" + ProcessHandle.current().pid());
  }

  /**
   * The target: libvirt hosts if {@code --host} was given, else the simulated cluster; with {@code
   * --metrics-port}, its engine's metrics served on loopback until the target is closed.
   */
  Target target() {
    if (metricsPort == null) {
      return target(null);
    }
    int port = MetricsServer.port("--metrics-port", metricsPort);
    MetricsServer metrics = MetricsServer.start("--metrics-port", port);
    boolean made = false;
    try {
      Target target = target(metrics.listener());
      command.commandLine().getErr().println("Serving metrics on " + metrics.uri());
      made = true;
      return new MeteredTarget(target, metrics);
    } finally {
      if (!made) {
        metrics.close();
      }
    }
  }

  private Target target(@Nullable MigrationListener metrics) {
    Map<String, String> libvirtHosts = hosts();
    KubeVirt kubeVirt = kubeVirt();
    List<MigrationPolicy> migrationPolicies = policies();
    if (libvirtHosts.isEmpty()) {
      return new SimulatedTarget(kubeVirt, migrationPolicies, cluster, sharedStore(), metrics);
    }
    if (cluster != null) {
      throw new IllegalArgumentException(
          "--cluster describes the simulated cluster and cannot be given with --host, but was '"
              + cluster
              + "'");
    }
    AtomicReference<MigrationEngine> engine = new AtomicReference<>();
    ProgressLines lines =
        new ProgressLines(command.commandLine().getErr(), ProgressLines.statesIn(engine::get));
    LibvirtTarget libvirt =
        new LibvirtTarget(
            libvirtHosts, kubeVirt, migrationPolicies, both(lines, metrics), sharedStore());
    engine.set(libvirt.engine());
    return libvirt;
  }

  private static MigrationListener both(
      MigrationListener progress, @Nullable MigrationListener metrics) {
    if (metrics == null) {
      return progress;
    }
    return event -> {
      try {
        metrics.onEvent(event);
      } finally {
        progress.onEvent(event);
      }
    };
  }

  /** A target whose metrics endpoint closes after it. */
  private record MeteredTarget(Target target, MetricsServer metrics) implements Target {
    @Override
    public MigrationEngine engine() {
      return target.engine();
    }

    @Override
    public Instant now() {
      return target.now();
    }

    @Override
    public void pass(Duration duration) {
      target.pass(duration);
    }

    @Override
    public List<MigrationState> await(List<MigrationHandle> handles) {
      return target.await(handles);
    }

    @Override
    public void close() {
      try {
        target.close();
      } finally {
        metrics.close();
      }
    }
  }
}
