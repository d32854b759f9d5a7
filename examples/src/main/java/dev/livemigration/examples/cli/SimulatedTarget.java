package dev.livemigration.examples.cli;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.api.manifest.Manifests;
import dev.livemigration.testkit.SimulatedCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The CLI's default target: a simulated cluster of three nodes with the guide's {@code vmi-fedora}
 * (1Gi, dirtying 50Mi/s over 256Mi, label {@code special: vmi-fedora}) on {@code node02}, or the
 * VMIs of a {@code --cluster} file instead, run in virtual time that starts now (to the second), so
 * that the state's timestamps read as today.
 */
final class SimulatedTarget implements Target {
  private final SimulatedCluster cluster =
      SimulatedCluster.withNodes(3, Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private final @Nullable SharedStore store;

  SimulatedTarget(
      KubeVirt kubeVirt,
      List<MigrationPolicy> policies,
      @Nullable Path manifests,
      @Nullable SharedStore store,
      @Nullable MigrationListener listener) {
    this.store = store;
    if (listener != null) {
      cluster.listener(listener);
    }
    if (store != null) {
      cluster.store(store.store(), store.replica());
    }
    cluster.configure(kubeVirt);
    policies.forEach(cluster::addPolicy);
    if (manifests != null) {
      for (Object document : Manifests.readAll(manifests)) {
        if (document instanceof VirtualMachineInstance vmi) {
          cluster.node(vmi.nodeName(), node -> {});
        }
      }
      cluster.load(manifests);
      return;
    }
    cluster.addVmi(
        "vmi-fedora",
        vmi ->
            vmi.on("node02")
                .memory("1Gi")
                .dirtyRate("50Mi")
                .workingSet("256Mi")
                .label("special", "vmi-fedora"));
  }

  @Override
  public MigrationEngine engine() {
    return cluster.engine();
  }

  @Override
  public Instant now() {
    return cluster.time().now();
  }

  @Override
  public void pass(Duration duration) {
    cluster.time().advance(duration);
  }

  @Override
  public List<MigrationState> await(List<MigrationHandle> handles) {
    if (store == null) {
      cluster.runUntilIdle();
    } else {
      // A shared store's housekeeping never lets the clock idle: run until these ended.
      cluster
          .time()
          .advanceUntil(
              () -> handles.stream().allMatch(h -> h.state().completed()), Duration.ofDays(7));
    }
    return handles.stream().map(MigrationHandle::state).toList();
  }

  @Override
  public void close() {
    cluster.close();
    if (store != null) {
      store.close();
    }
  }
}
