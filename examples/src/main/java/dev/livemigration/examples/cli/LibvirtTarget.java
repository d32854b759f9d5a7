package dev.livemigration.examples.cli;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.api.spi.PolicySource;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.libvirt.LibvirtBackend;
import dev.livemigration.libvirt.LibvirtInventory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.jspecify.annotations.Nullable;

/**
 * Real hosts: one libvirt daemon per node ({@code --host node01=qemu+tls://…}), their running
 * domains as the VMIs, on the wall clock, with progress lines on standard error. If the process is
 * stopped (Ctrl-C) while migrations run, a shutdown hook closes the engine, which aborts those
 * still in pre-copy rather than leave them to the daemons.
 */
final class LibvirtTarget implements Target {
  private final MigrationEngine engine;
  private final @Nullable SharedStore store;
  private final Thread shutdownHook;

  LibvirtTarget(
      Map<String, String> hosts,
      KubeVirt kubeVirt,
      List<MigrationPolicy> policies,
      MigrationListener progress,
      @Nullable SharedStore store) {
    LibvirtBackend backend = LibvirtBackend.of(hosts);
    MigrationEngines.Builder builder =
        MigrationEngines.builder()
            .configuration(kubeVirt.migrations())
            .migratableBindingPlugins(kubeVirt.migratableBindingPlugins())
            .policies(PolicySource.of(policies))
            .backend(backend)
            .inventory(LibvirtInventory.of(backend))
            .listener(progress);
    this.store = store;
    this.engine = (store != null ? store.apply(builder) : builder).build();
    this.shutdownHook = new Thread(engine::close, "livemigration-cli-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  @Override
  public MigrationEngine engine() {
    return engine;
  }

  @Override
  public Instant now() {
    return Instant.now();
  }

  @Override
  public void pass(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted while waiting " + duration);
    }
  }

  @Override
  public List<MigrationState> await(List<MigrationHandle> handles) {
    return handles.stream().map(handle -> handle.completion().join()).toList();
  }

  @Override
  public void close() {
    engine.close();
    if (store != null) {
      store.close();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down and runs the hook itself; closing twice is harmless.
    }
  }
}
