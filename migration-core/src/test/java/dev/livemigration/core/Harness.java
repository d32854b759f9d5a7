package dev.livemigration.core;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.PolicySource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An engine in virtual time over a {@link ScriptedBackend} and a {@link FakeInventory}, with an
 * {@link EventLog}: the fixture of the engine's tests. Configure it, then call {@link #engine()}
 * (or anything that needs the engine) to build the engine once.
 */
final class Harness {
  /** The guide's start timestamp: where the virtual clock starts. */
  static final Instant T0 = Instant.parse("2019-03-29T04:02:47Z");

  static final long GIB = Quantity.ofGibibytes(1).bytes();

  final ManualScheduler time = new ManualScheduler(T0);
  final FakeInventory inventory = new FakeInventory();
  final ScriptedBackend backend = new ScriptedBackend(time::now);
  final EventLog events = new EventLog();
  private MigrationConfiguration configuration = MigrationConfiguration.defaults();
  private List<MigrationPolicy> policies = List.of();
  private final List<Consumer<MigrationEngines.Builder>> customizations = new ArrayList<>();
  private MigrationEngine engine;

  /** A harness with the guide's two nodes, {@code node01} and {@code node02}. */
  static Harness twoNodes() {
    Harness harness = new Harness();
    harness.inventory.nodes("node01", "node02");
    return harness;
  }

  Harness configuration(MigrationConfiguration configuration) {
    this.configuration = configuration;
    return this;
  }

  Harness configure(Consumer<MigrationConfiguration.Builder> change) {
    MigrationConfiguration.Builder builder = MigrationConfiguration.builder().from(configuration);
    change.accept(builder);
    return configuration(builder.build());
  }

  Harness policies(MigrationPolicy... policies) {
    this.policies = List.of(policies);
    return this;
  }

  Harness strategy(MigrationStrategy strategy) {
    customizations.add(builder -> builder.strategy(strategy));
    return this;
  }

  Harness customize(Consumer<MigrationEngines.Builder> customization) {
    customizations.add(customization);
    return this;
  }

  /** Adds VMIs (1 GiB, a shared disk, a masquerade interface) with these names on a node. */
  Harness vmis(String node, String... names) {
    for (String name : names) {
      inventory.vmi(vmi(name, node).build());
    }
    return this;
  }

  /** Builds the engine on first use. */
  synchronized MigrationEngine engine() {
    if (engine == null) {
      MigrationEngines.Builder builder =
          MigrationEngines.builder()
              .configuration(configuration)
              .backend(backend)
              .inventory(inventory)
              .policies(PolicySource.of(policies))
              .scheduler(time)
              .listener(events);
      customizations.forEach(c -> c.accept(builder));
      engine = builder.build();
    }
    return engine;
  }

  /** Requests the migration {@code name} of VMI {@code vmi} in the default namespace. */
  MigrationHandle migrate(String name, String vmi) {
    return engine().migrate(VirtualMachineInstanceMigration.of(name, vmi));
  }

  /** Runs what is due now: queued migrations start up to their first sample. */
  void runDue() {
    time.runDue();
  }

  void advance(Duration duration) {
    time.advance(duration);
  }

  void advanceSeconds(long seconds) {
    time.advance(Duration.ofSeconds(seconds));
  }

  /** Runs virtual time until nothing is left to do (at most a week). */
  Duration runUntilIdle() {
    return time.advanceUntilIdle(Duration.ofDays(7));
  }

  /** The virtual time since {@link #T0}. */
  Duration elapsed() {
    return Duration.between(T0, time.now());
  }

  // ------------------------------------------------------------------ VMI fixtures

  /** A VMI builder: 1 GiB of memory, a ReadWriteMany PVC, a masquerade pod interface. */
  static VirtualMachineInstance.Builder vmi(String name, String node) {
    return VirtualMachineInstance.builder()
        .name(name)
        .nodeName(node)
        .memory(Quantity.ofGibibytes(1))
        .addVolumes(pvc("rootdisk", AccessMode.READ_WRITE_MANY))
        .addInterfaces(masquerade("default"));
  }

  static Volume pvc(String name, AccessMode... modes) {
    return Volume.builder()
        .name(name)
        .type(VolumeType.PERSISTENT_VOLUME_CLAIM)
        .addAccessModes(modes)
        .build();
  }

  static Volume local(String name, VolumeType type, Quantity size) {
    return Volume.builder().name(name).type(type).size(size).build();
  }

  static NetworkInterface masquerade(String name, int... ports) {
    return NetworkInterface.builder()
        .name(name)
        .binding(InterfaceBinding.MASQUERADE)
        .addPorts(ports)
        .build();
  }

  static NetworkInterface bridge(String name, boolean podNetwork) {
    return NetworkInterface.builder()
        .name(name)
        .binding(InterfaceBinding.BRIDGE)
        .podNetwork(podNetwork)
        .build();
  }
}
