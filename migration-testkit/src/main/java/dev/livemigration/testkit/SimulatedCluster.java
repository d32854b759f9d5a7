package dev.livemigration.testkit;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.Node;
import dev.livemigration.api.Taint;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.core.ManualScheduler;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.core.strategy.Strategies;
import dev.livemigration.testkit.model.GuestProfile;
import dev.livemigration.testkit.model.ModelBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A simulated cluster in virtual time: nodes on loopback addresses, namespaces with labels, VMIs
 * whose guests dirty memory at a set rate, policies, and an engine wired to all of it on the {@link
 * ModelBackend}.
 *
 * <pre>{@code
 * SimulatedCluster cluster = SimulatedCluster.withNodes(3);
 * cluster.addVmi("vmi-fedora", vmi -> vmi.on("node02").memory("1Gi").dirtyRate("50Mi"));
 * MigrationHandle handle = cluster.engine().migrate(VirtualMachineInstanceMigration.of("job", "vmi-fedora"));
 * cluster.runUntilIdle();
 * }</pre>
 *
 * <p>Node {@code nodeNN} has address {@code 127.0.0.NN} and, on the migration network, {@code
 * 127.0.1.NN}.
 */
public final class SimulatedCluster implements AutoCloseable {
  private final InMemoryInventory inventory = new InMemoryInventory();
  private final ManualScheduler time = new ManualScheduler();
  private final Map<String, GuestProfile> profiles = new ConcurrentHashMap<>();
  private final List<MigrationPolicy> policies = new CopyOnWriteArrayList<>();
  private final List<MigrationEvent> events = new CopyOnWriteArrayList<>();
  private MigrationConfiguration configuration = MigrationConfiguration.defaults();
  private MigrationStrategy strategy = Strategies.kubeVirtDefault();
  private MigrationEngine engine;

  private SimulatedCluster() {}

  /** Returns a cluster with {@code count} nodes named {@code node01}, {@code node02}, …. */
  public static SimulatedCluster withNodes(int count) {
    if (count < 1 || count > 250) {
      throw new IllegalArgumentException("count must be between 1 and 250, but was " + count);
    }
    SimulatedCluster cluster = new SimulatedCluster();
    for (int i = 1; i <= count; i++) {
      cluster.inventory.add(node(String.format("node%02d", i), i).build());
    }
    return cluster;
  }

  private static Node.Builder node(String name, int index) {
    return Node.builder()
        .name(name)
        .address("127.0.0." + index)
        .migrationAddress("127.0.1." + index);
  }

  /** Taints a node, for example with the drain taint {@code kubevirt.io/drain}. */
  public SimulatedCluster taint(String nodeName, String taintKey) {
    Node current = node(nodeName);
    inventory.add(Node.builder().from(current).addTaints(Taint.of(taintKey)).build());
    return this;
  }

  /** Labels a namespace, for policies' namespace selectors. */
  public SimulatedCluster namespace(String name, Map<String, String> labels) {
    inventory.labelNamespace(name, labels);
    return this;
  }

  /** Adds a running VMI described by {@code description}. */
  public SimulatedCluster addVmi(String name, Consumer<SimulatedVmi> description) {
    SimulatedVmi vmi = new SimulatedVmi(name, inventory.nodes().get(0).name());
    description.accept(vmi);
    return addVmi(vmi.build(), vmi.profile());
  }

  /** Adds a running VMI built elsewhere (for example by an arbitrary), with its guest's profile. */
  public SimulatedCluster addVmi(VirtualMachineInstance vmi, GuestProfile profile) {
    node(vmi.nodeName());
    inventory.add(vmi);
    profiles.put(vmi.namespace() + "/" + vmi.name(), profile);
    return this;
  }

  /** Adds a migration policy; policies may change while the engine runs. */
  public SimulatedCluster addPolicy(MigrationPolicy policy) {
    policies.add(policy);
    return this;
  }

  /** Sets the cluster configuration (before the engine is created, or live after). */
  public SimulatedCluster configure(MigrationConfiguration configuration) {
    this.configuration = configuration;
    if (engine != null) {
      engine.reconfigure(configuration);
    }
    return this;
  }

  /** Sets the cluster configuration from a KubeVirt CR. */
  public SimulatedCluster configure(KubeVirt kubeVirt) {
    return configure(kubeVirt.migrations());
  }

  /**
   * Sets the strategy of every migration; KubeVirt's default unless set. Before {@link #engine()}.
   */
  public SimulatedCluster strategy(MigrationStrategy strategy) {
    if (engine != null) {
      throw new IllegalStateException("strategy must be set before the engine is created");
    }
    this.strategy = strategy;
    return this;
  }

  /** Returns the engine for this cluster, creating it on first use. */
  public synchronized MigrationEngine engine() {
    if (engine == null) {
      engine =
          MigrationEngines.builder()
              .configuration(configuration)
              .inventory(inventory)
              .policies(() -> List.copyOf(policies))
              .backend(
                  new ModelBackend(
                      time,
                      vmi ->
                          profiles.getOrDefault(
                              vmi.namespace() + "/" + vmi.name(), GuestProfile.IDLE)))
              .scheduler(time)
              .strategy(strategy)
              .listener(events::add)
              .build();
    }
    return engine;
  }

  /** The cluster's virtual clock: advance it to let migrations progress. */
  public ManualScheduler time() {
    return time;
  }

  /** The cluster's nodes and VMIs, as the engine sees them. */
  public InMemoryInventory inventory() {
    return inventory;
  }

  /** Every event the engine published, in order. */
  public List<MigrationEvent> events() {
    return new ArrayList<>(events);
  }

  /** Returns the node a VMI of the default namespace runs on now. */
  public String nodeOf(String vmiName) {
    return inventory
        .find("default", vmiName)
        .orElseThrow(() -> new IllegalArgumentException("no VMI named " + vmiName))
        .nodeName();
  }

  /** Runs virtual time until nothing is left to do, or 30 virtual days have passed. */
  public Duration runUntilIdle() {
    return time.advanceUntilIdle(Duration.ofDays(30));
  }

  private Node node(String name) {
    return inventory.nodes().stream()
        .filter(node -> node.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node named " + name));
  }

  /** Closes the engine, if one was created. Idempotent. */
  @Override
  public synchronized void close() {
    if (engine != null) {
      engine.close();
    }
  }
}
