package dev.livemigration.core.dataplane;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.Node;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.ClusterInventory;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.core.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small cluster for engine tests of the data plane: nodes on 127.0.0.1, VMIs whose memory is
 * registered with a {@link DataPlaneBackend}, and an engine on the system clock.
 */
final class Cluster implements ClusterInventory, AutoCloseable {
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final Map<String, VirtualMachineInstance> vmis = new LinkedHashMap<>();
  private final List<PagedMemory> memories = new ArrayList<>();
  final DataPlaneBackend backend;
  private MigrationEngine engine;
  private final Scheduler scheduler = Scheduler.system(4);

  Cluster(DataPlaneBackend backend, String... nodeNames) {
    this.backend = backend;
    for (String name : nodeNames) {
      nodes.put(name, Node.builder().name(name).address("127.0.0.1").build());
    }
  }

  /** Starts a VMI on {@code node} with this memory, registered with the backend. */
  synchronized Cluster vmi(String name, String node, PagedMemory memory) {
    vmis.put(
        "default/" + name,
        VirtualMachineInstance.builder()
            .name(name)
            .nodeName(node)
            .memory(Quantity.ofBytes(memory.size()))
            .build());
    backend.register("default", name, memory);
    memories.add(memory);
    return this;
  }

  /**
   * Starts a VMI on {@code node} with this memory and one node-local disk volume (so it migrates by
   * block migration), both registered with the backend; a null disk is left unregistered.
   */
  synchronized Cluster vmiWithDisk(
      String name,
      String node,
      PagedMemory memory,
      String volume,
      PagedMemory disk,
      long diskSize) {
    vmis.put(
        "default/" + name,
        VirtualMachineInstance.builder()
            .name(name)
            .nodeName(node)
            .memory(Quantity.ofBytes(memory.size()))
            .addVolumes(
                dev.livemigration.api.Volume.builder()
                    .name(volume)
                    .type(dev.livemigration.api.VolumeType.EMPTY_DISK)
                    .size(Quantity.ofBytes(diskSize))
                    .build())
            .build());
    backend.register("default", name, memory);
    memories.add(memory);
    if (disk != null) {
      backend.registerDisk("default", name, volume, disk);
      memories.add(disk);
    }
    return this;
  }

  /** The disk a VMI's volume lives on now. */
  PagedMemory diskOf(String name, String volume) {
    PagedMemory disk =
        (PagedMemory)
            backend
                .disk("default", name, volume)
                .orElseThrow(() -> new AssertionError("no disk " + volume + " for " + name));
    synchronized (this) {
      if (!memories.contains(disk)) {
        memories.add(disk);
      }
    }
    return disk;
  }

  /** Builds (once) and returns the engine, sampling every 20 ms. */
  synchronized MigrationEngine engine(MigrationConfiguration configuration) {
    return engine(configuration, null);
  }

  synchronized MigrationEngine engine(
      MigrationConfiguration configuration, MigrationStrategy strategy) {
    return engine(configuration, strategy, null);
  }

  synchronized MigrationEngine engine(
      MigrationConfiguration configuration,
      MigrationStrategy strategy,
      java.util.function.Consumer<dev.livemigration.api.ProgressSample> samples) {
    if (engine == null) {
      MigrationEngines.Builder builder =
          MigrationEngines.builder()
              .configuration(configuration)
              .backend(backend)
              .inventory(this)
              .scheduler(scheduler)
              .sampleInterval(Duration.ofMillis(20));
      if (strategy != null) {
        builder.strategy(strategy);
      }
      if (samples != null) {
        builder.listener(
            event -> {
              if (event instanceof dev.livemigration.api.event.MigrationEvent.Progress progress) {
                samples.accept(progress.sample());
              }
            });
      }
      engine = builder.build();
    }
    return engine;
  }

  /** Builds (once) and returns the engine, telling {@code events} every event. */
  synchronized MigrationEngine engineWithEvents(
      MigrationConfiguration configuration,
      MigrationStrategy strategy,
      java.util.function.Consumer<dev.livemigration.api.event.MigrationEvent> events) {
    if (engine == null) {
      engine =
          MigrationEngines.builder()
              .configuration(configuration)
              .backend(backend)
              .inventory(this)
              .scheduler(scheduler)
              .sampleInterval(Duration.ofMillis(20))
              .strategy(strategy)
              .listener(events::accept)
              .build();
    }
    return engine;
  }

  /** Plain TCP, unlimited bandwidth. */
  static MigrationConfiguration plain() {
    return MigrationConfiguration.builder()
        .disableTLS(true)
        .bandwidthPerMigration(Quantity.ZERO)
        .build();
  }

  /** The memory the VMI runs on now. */
  PagedMemory memoryOf(String name) {
    PagedMemory memory =
        (PagedMemory)
            backend
                .memory("default", name)
                .orElseThrow(() -> new AssertionError("no memory for " + name));
    synchronized (this) {
      if (!memories.contains(memory)) {
        memories.add(memory);
      }
    }
    return memory;
  }

  synchronized String nodeOf(String name) {
    return vmis.get("default/" + name).nodeName();
  }

  @Override
  public synchronized List<Node> nodes() {
    return List.copyOf(nodes.values());
  }

  @Override
  public synchronized List<VirtualMachineInstance> virtualMachineInstances() {
    return List.copyOf(vmis.values());
  }

  @Override
  public synchronized void onMigrated(VirtualMachineInstance vmi, String targetNode) {
    String key = vmi.namespace() + "/" + vmi.name();
    vmis.put(
        key, VirtualMachineInstance.builder().from(vmis.get(key)).nodeName(targetNode).build());
  }

  @Override
  public void close() {
    if (engine != null) {
      engine.close();
    }
    backend.close();
    scheduler.close();
    synchronized (this) {
      memories.forEach(PagedMemory::close);
    }
  }
}
