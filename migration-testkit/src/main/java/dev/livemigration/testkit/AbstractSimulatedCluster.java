package dev.livemigration.testkit;

import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.Node;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.Taint;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.api.manifest.Manifests;
import dev.livemigration.api.manifest.PersistentVolumeClaim;
import dev.livemigration.api.spi.ClusterInventory;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.core.strategy.Strategies;
import dev.livemigration.testkit.model.GuestProfile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both kinds of simulated cluster share: nodes on loopback addresses with labels, taints and
 * memory capacity, namespaces with labels, VMIs, policies, the cluster configuration (also from
 * KubeVirt YAML), and an engine wired to all of it. {@link SimulatedCluster} runs migrations on the
 * model backend in virtual time; {@link RealBytesCluster} moves real bytes on the built-in data
 * plane in real time.
 *
 * <p>Node {@code nodeNN} has address {@code 127.0.0.NN} and, on the migration network, {@code
 * 127.0.1.NN}.
 *
 * <p>Scenarios that need more than a description can listen to the engine's events ({@link
 * #listener(MigrationListener)}) and wrap the backend or the inventory the engine sees ({@link
 * #wrapBackend(UnaryOperator)}, {@link #wrapInventory(UnaryOperator)}) to fail or stall a step,
 * with {@link BackendHooks}, {@link InventoryHooks} or their own {@link
 * ForwardingHypervisorBackend} and {@link ForwardingClusterInventory}.
 *
 * @param <C> the concrete cluster, which the describing methods return
 */
public abstract sealed class AbstractSimulatedCluster<C extends AbstractSimulatedCluster<C>>
    implements AutoCloseable permits SimulatedCluster, RealBytesCluster {
  private static final Logger LOG = LoggerFactory.getLogger(AbstractSimulatedCluster.class);

  /** The most nodes a cluster may have: one per address 127.0.0.1 … 127.0.0.250. */
  public static final int MAX_NODES = 250;

  private final InMemoryInventory inventory = new InMemoryInventory();
  private final Map<String, GuestProfile> profiles = new ConcurrentHashMap<>();
  private final Map<String, Quantity> capacities = new ConcurrentHashMap<>();
  private final List<MigrationPolicy> policies = new CopyOnWriteArrayList<>();
  private final List<MigrationEvent> events = new CopyOnWriteArrayList<>();
  private @Nullable MigrationStore store;
  private String replica = "simulated";
  private final List<MigrationListener> listeners = new CopyOnWriteArrayList<>();
  private final CapacityTargetSelector selector =
      new CapacityTargetSelector(
          inventory,
          node -> {
            Quantity limit = capacities.get(node);
            return limit == null ? Long.MAX_VALUE : limit.bytes();
          });
  private volatile MigrationConfiguration configuration = MigrationConfiguration.defaults();
  private Set<String> migratableBindingPlugins = Set.of();
  private MigrationStrategy strategy = Strategies.kubeVirtDefault();
  private UnaryOperator<HypervisorBackend> backendWrapper = UnaryOperator.identity();
  private UnaryOperator<ClusterInventory> inventoryWrapper = UnaryOperator.identity();
  private @Nullable MigrationEngine engine;
  private boolean closed;

  AbstractSimulatedCluster(int nodes) {
    if (nodes < 1 || nodes > MAX_NODES) {
      throw new InvalidValueException(
          "nodes", "must be between 1 and " + MAX_NODES, Integer.toString(nodes));
    }
    for (int i = 1; i <= nodes; i++) {
      inventory.add(newNode(String.format("node%02d", i), i));
    }
  }

  private static Node newNode(String name, int index) {
    return Node.builder()
        .name(name)
        .address("127.0.0." + index)
        .migrationAddress("127.0.1." + index)
        .build();
  }

  /** This cluster, for chaining. */
  abstract C self();

  /**
   * Adds the backend, passed through {@link #wrapped(HypervisorBackend)}, the scheduler and
   * anything else the kind of cluster needs.
   */
  abstract void wire(MigrationEngines.Builder engine);

  /** Returns the backend the engine gets: {@code backend} with the wrappers applied. */
  final HypervisorBackend wrapped(HypervisorBackend backend) {
    return Objects.requireNonNull(
        backendWrapper.apply(backend), "the backend wrapper returned null");
  }

  /** Told when a VMI was added or replaced, with its guest's profile. */
  void placed(VirtualMachineInstance vmi, GuestProfile profile) {}

  /** Told when a migration succeeded, before the inventory moves the VMI to its target. */
  void migrated(VirtualMachineInstance vmi, String targetNode) {}

  /** Told when a migration ended, after the engine published its last event. */
  void ended(MigrationEvent event) {}

  /**
   * Told when a listener added with {@link #listener} threw; logs it unless the kind of cluster can
   * fail the test with it.
   */
  void listenerFailed(MigrationEvent event, Throwable failure) {
    LOG.warn("A listener of the simulated cluster failed on {}", event, failure);
  }

  /** Frees what the kind of cluster holds besides the engine; called once, by {@link #close()}. */
  void release() {}

  /**
   * Describes node {@code name}: changes it if the cluster has it, adds it otherwise (on the next
   * free addresses {@code 127.0.0.N} and {@code 127.0.1.N}).
   */
  public C node(String name, Consumer<SimulatedNode> description) {
    Objects.requireNonNull(description, "description");
    Node current =
        findNode(name)
            .orElseGet(
                () -> {
                  int index = inventory.nodes().size() + 1;
                  if (index > MAX_NODES) {
                    throw new InvalidValueException(
                        "nodes", "must be at most " + MAX_NODES, Integer.toString(index));
                  }
                  return newNode(name, index);
                });
    SimulatedNode node = new SimulatedNode(current, capacities.get(current.name()));
    description.accept(node);
    Quantity capacity = node.capacity();
    if (capacity != null) {
      capacities.put(current.name(), capacity);
    }
    inventory.add(node.build());
    return self();
  }

  /** Taints a node, for example with the drain taint {@code kubevirt.io/drain}. */
  public C taint(String nodeName, String taintKey) {
    Node current = existingNode(nodeName);
    inventory.add(Node.builder().from(current).addTaints(Taint.of(taintKey)).build());
    return self();
  }

  /** Labels a namespace, for policies' namespace selectors. */
  public C namespace(String name, Map<String, String> labels) {
    inventory.labelNamespace(name, labels);
    return self();
  }

  /** Adds a running VMI described by {@code description}, on the first node unless told. */
  public C addVmi(String name, Consumer<SimulatedVmi> description) {
    SimulatedVmi vmi = new SimulatedVmi(name, inventory.nodes().get(0).name());
    description.accept(vmi);
    return addVmi(vmi.build(), vmi.profile());
  }

  /**
   * Adds a running VMI built elsewhere (for example read from a manifest or made by an arbitrary)
   * with its guest's profile; replaces a VMI of the same namespace and name.
   *
   * @throws InvalidValueException if the VMI's node is not in the cluster or has no room for it
   */
  public C addVmi(VirtualMachineInstance vmi, GuestProfile profile) {
    Objects.requireNonNull(profile, "profile");
    String field = "vmis[" + vmi.namespace() + "/" + vmi.name() + "].nodeName";
    if (findNode(vmi.nodeName()).isEmpty()) {
      throw new InvalidValueException(
          field,
          "must name a node of the cluster ("
              + inventory.nodes().stream().map(Node::name).collect(Collectors.joining(", "))
              + ")",
          "'" + vmi.nodeName() + "'");
    }
    long free = selector.free(vmi.nodeName());
    if (free != Long.MAX_VALUE) {
      // A VMI that replaces one on the same node gives back that one's room.
      free +=
          inventory
              .find(vmi.namespace(), vmi.name())
              .filter(old -> old.nodeName().equals(vmi.nodeName()))
              .map(old -> old.memory().bytes())
              .orElse(0L);
    }
    if (free < vmi.memory().bytes()) {
      throw new InvalidValueException(
          field,
          "must name a node with room for the VMI's "
              + vmi.memory()
              + " of memory ("
              + Math.max(0, free)
              + " bytes of its capacity "
              + capacities.get(vmi.nodeName())
              + " are free)",
          "'" + vmi.nodeName() + "'");
    }
    placed(vmi, profile);
    profiles.put(key(vmi.namespace(), vmi.name()), profile);
    inventory.add(vmi);
    return self();
  }

  /** Adds running VMIs built elsewhere, each with the same guest profile. */
  public C addVmis(List<VirtualMachineInstance> vmis, GuestProfile profile) {
    vmis.forEach(vmi -> addVmi(vmi, profile));
    return self();
  }

  /**
   * Loads KubeVirt manifests: a {@code KubeVirt} CR sets the configuration, each {@code
   * MigrationPolicy} is added, and each running {@code VirtualMachineInstance} is added on its
   * {@code status.nodeName} with an idle guest, its claims' access modes taken from the {@code
   * PersistentVolumeClaim} documents among them.
   *
   * @param yaml the manifests, documents separated by {@code ---}
   * @return the {@code VirtualMachineInstanceMigration}s among the documents, in order, not started
   * @throws dev.livemigration.api.manifest.ManifestException if a document has problems
   * @throws InvalidValueException if a VMI's node is not in the cluster or has no room for it
   */
  public List<VirtualMachineInstanceMigration> load(String yaml) {
    return apply(Manifests.readAll(yaml));
  }

  /**
   * Loads KubeVirt manifests from a UTF-8 file; see {@link #load(String)}.
   *
   * @throws java.io.UncheckedIOException if the file cannot be read
   */
  public List<VirtualMachineInstanceMigration> load(Path yaml) {
    return apply(Manifests.readAll(yaml));
  }

  private List<VirtualMachineInstanceMigration> apply(List<Object> documents) {
    List<VirtualMachineInstanceMigration> migrations = new ArrayList<>();
    for (Object document : documents) {
      if (document instanceof KubeVirt kubeVirt) {
        configure(kubeVirt);
      } else if (document instanceof MigrationPolicy policy) {
        addPolicy(policy);
      } else if (document instanceof VirtualMachineInstance vmi) {
        addVmi(vmi, GuestProfile.IDLE);
      } else if (document instanceof VirtualMachineInstanceMigration migration) {
        migrations.add(migration);
      } else if (!(document instanceof PersistentVolumeClaim)) {
        throw new InvalidValueException(
            "kind",
            "must be KubeVirt, MigrationPolicy, VirtualMachineInstance, PersistentVolumeClaim or"
                + " VirtualMachineInstanceMigration",
            "'" + document.getClass().getSimpleName() + "'");
      }
    }
    return migrations;
  }

  /** Adds a migration policy; policies may change while the engine runs. */
  public C addPolicy(MigrationPolicy policy) {
    policies.add(Objects.requireNonNull(policy, "policy"));
    return self();
  }

  /** Sets the cluster configuration (before the engine is created, or live after). */
  public C configure(MigrationConfiguration configuration) {
    this.configuration = Objects.requireNonNull(configuration, "configuration");
    MigrationEngine running;
    synchronized (this) {
      running = engine;
    }
    if (running != null) {
      running.reconfigure(configuration);
    }
    return self();
  }

  /**
   * Sets the cluster configuration from a KubeVirt CR, and the binding plugins it registers as
   * migratable ({@link KubeVirt#migratableBindingPlugins()}); those cannot change once the engine
   * is created.
   */
  public C configure(KubeVirt kubeVirt) {
    synchronized (this) {
      if (!kubeVirt.migratableBindingPlugins().equals(migratableBindingPlugins)) {
        requireNoEngine("the migratable binding plugins (spec.configuration.network.binding)");
        migratableBindingPlugins = kubeVirt.migratableBindingPlugins();
      }
    }
    return configure(kubeVirt.migrations());
  }

  /** The cluster configuration, as last set. */
  public MigrationConfiguration configuration() {
    return configuration;
  }

  /**
   * Sets the strategy of every migration; KubeVirt's default unless set. Before {@link #engine()}.
   */
  public synchronized C strategy(MigrationStrategy strategy) {
    requireNoEngine("strategy");
    this.strategy = Objects.requireNonNull(strategy, "strategy");
    return self();
  }

  /**
   * Adds a listener for the engine's events, called after the cluster has recorded each event in
   * {@link #events()}, on the engine's thread, in the order added; it may be added before or after
   * the engine is created and sees the events published from then on. Like any engine listener it
   * must be fast. What it throws (a failed assertion, say) never reaches the engine, so the
   * migration goes on: a {@link SimulatedCluster} hands it to its clock as a failed task, which
   * logs it or, with {@link dev.livemigration.core.ManualScheduler.TaskFailures#RETHROW}, throws it
   * to the test from the call that advances time; a {@link RealBytesCluster} logs it.
   */
  public C listener(MigrationListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return self();
  }

  /**
   * Wraps the backend the engine will use, for example with {@link BackendHooks} or a {@link
   * ForwardingHypervisorBackend}, to fail, stall or watch its steps. Wrappers set by several calls
   * apply in order, each around the result of the last. Before {@link #engine()}.
   */
  public synchronized C wrapBackend(UnaryOperator<HypervisorBackend> wrapper) {
    Objects.requireNonNull(wrapper, "wrapper");
    requireNoEngine("wrapBackend");
    UnaryOperator<HypervisorBackend> inner = backendWrapper;
    backendWrapper = backend -> wrapper.apply(inner.apply(backend));
    return self();
  }

  /**
   * Wraps the inventory the engine sees, for example with {@link InventoryHooks} or a {@link
   * ForwardingClusterInventory}, to fail, stall or watch its calls. The cluster's own methods
   * ({@link #inventory()}, {@link #nodeOf}) still read the cluster's inventory directly. Wrappers
   * set by several calls apply in order, each around the result of the last. Before {@link
   * #engine()}.
   */
  public synchronized C wrapInventory(UnaryOperator<ClusterInventory> wrapper) {
    Objects.requireNonNull(wrapper, "wrapper");
    requireNoEngine("wrapInventory");
    UnaryOperator<ClusterInventory> inner = inventoryWrapper;
    inventoryWrapper = inventory -> wrapper.apply(inner.apply(inventory));
    return self();
  }

  /** Throws if the engine exists already: {@code setting} must be set before it. */
  synchronized void requireNoEngine(String setting) {
    if (engine != null) {
      throw new IllegalStateException(setting + " must be set before the engine is created");
    }
  }

  /**
   * Keeps the engine's migrations in {@code store}, shared with other engines, as replica {@code
   * replica}; the engine's own memory unless set. Set before the engine is created. With a shared
   * store the engine has periodic housekeeping, so a virtual-time cluster is never idle: advance it
   * until the migrations ended ({@code ManualScheduler.advanceUntil}).
   */
  public synchronized C store(MigrationStore store, String replica) {
    requireNoEngine("the store");
    this.store = Objects.requireNonNull(store, "store");
    this.replica = Objects.requireNonNull(replica, "replica");
    return self();
  }

  /** Returns the engine for this cluster, creating it on first use. */
  public synchronized MigrationEngine engine() {
    if (closed) {
      throw new IllegalStateException("the cluster is closed");
    }
    if (engine == null) {
      MigrationEngines.Builder builder =
          MigrationEngines.builder()
              .configuration(configuration)
              .migratableBindingPlugins(migratableBindingPlugins)
              .inventory(
                  Objects.requireNonNull(
                      inventoryWrapper.apply(new Observed()),
                      "the inventory wrapper returned null"))
              .policies(() -> List.copyOf(policies))
              .strategy(strategy)
              .targetSelector(selector)
              .listener(this::record);
      if (store != null) {
        builder.store(store).replica(replica);
      }
      wire(builder);
      engine = builder.build();
    }
    return engine;
  }

  private void record(MigrationEvent event) {
    events.add(event);
    if (event instanceof MigrationEvent.Succeeded || event instanceof MigrationEvent.Failed) {
      selector.release(event.request().namespace(), event.request().vmiName());
      ended(event);
    }
    for (MigrationListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException | Error e) {
        listenerFailed(event, e);
      }
    }
  }

  /** The cluster's nodes and VMIs, as the engine sees them. */
  public InMemoryInventory inventory() {
    return inventory;
  }

  /** Every event the engine published, in order. */
  public List<MigrationEvent> events() {
    return new ArrayList<>(events);
  }

  /**
   * Returns the node a VMI of the default namespace runs on now.
   *
   * @throws IllegalArgumentException if the cluster has no such VMI
   */
  public String nodeOf(String vmiName) {
    return nodeOf("default", vmiName);
  }

  /**
   * Returns the node VMI {@code namespace/name} runs on now.
   *
   * @throws IllegalArgumentException if the cluster has no such VMI
   */
  public String nodeOf(String namespace, String name) {
    return inventory
        .find(namespace, name)
        .orElseThrow(() -> new IllegalArgumentException("no VMI named " + key(namespace, name)))
        .nodeName();
  }

  /** How the guest of VMI {@code namespace/name} dirties memory; idle if it has no profile. */
  GuestProfile profileOf(VirtualMachineInstance vmi) {
    return profiles.getOrDefault(key(vmi.namespace(), vmi.name()), GuestProfile.IDLE);
  }

  static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  private Optional<Node> findNode(String name) {
    return inventory.nodes().stream().filter(node -> node.name().equals(name)).findFirst();
  }

  private Node existingNode(String name) {
    return findNode(name).orElseThrow(() -> new IllegalArgumentException("no node named " + name));
  }

  /** Closes the engine, if one was created, and everything the cluster holds. Idempotent. */
  @Override
  public void close() {
    MigrationEngine running;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      running = engine;
    }
    try {
      if (running != null) {
        running.close();
      }
    } finally {
      release();
    }
  }

  /** The inventory the engine sees: the cluster's, told of each success first. */
  private final class Observed extends ForwardingClusterInventory {
    Observed() {
      super(inventory);
    }

    @Override
    public void onMigrated(VirtualMachineInstance vmi, String targetNode) {
      try {
        migrated(vmi, targetNode);
      } finally {
        super.onMigrated(vmi, targetNode);
      }
    }
  }
}
