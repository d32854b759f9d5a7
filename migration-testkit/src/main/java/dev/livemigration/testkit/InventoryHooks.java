package dev.livemigration.testkit;

import dev.livemigration.api.Node;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.ClusterInventory;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Runs code before the calls the engine makes to an inventory, to fail or stall them: an immutable
 * list of hooks that wraps an inventory when applied.
 *
 * <pre>{@code
 * Gate slowLookup = new Gate();
 * cluster.wrapInventory(InventoryHooks.none().stalling(InventoryHooks.Step.FIND, slowLookup));
 * }</pre>
 *
 * <p>For anything finer, extend {@link ForwardingClusterInventory}.
 */
public final class InventoryHooks implements UnaryOperator<ClusterInventory> {
  /** A call of the engine to its inventory. */
  public enum Step {
    /** {@link ClusterInventory#nodes()}. */
    NODES,
    /** {@link ClusterInventory#virtualMachineInstances()}. */
    VIRTUAL_MACHINE_INSTANCES,
    /** {@link ClusterInventory#find(String, String)}. */
    FIND,
    /** {@link ClusterInventory#vmiCountsByNode()}. */
    VMI_COUNTS_BY_NODE,
    /** {@link ClusterInventory#namespaceLabels(String)}. */
    NAMESPACE_LABELS,
    /** {@link ClusterInventory#onMigrated(VirtualMachineInstance, String)}. */
    ON_MIGRATED
  }

  private static final InventoryHooks NONE = new InventoryHooks(new EnumMap<>(Step.class));

  private final Map<Step, List<Runnable>> hooks;

  private InventoryHooks(Map<Step, List<Runnable>> hooks) {
    this.hooks = hooks;
  }

  /** Returns hooks that change nothing, to add to. */
  public static InventoryHooks none() {
    return NONE;
  }

  /**
   * Returns these hooks and {@code hook}, which runs before each call of {@code step}; hooks of one
   * step run in the order added.
   */
  public InventoryHooks before(Step step, Runnable hook) {
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(hook, "hook");
    Map<Step, List<Runnable>> copy = new EnumMap<>(Step.class);
    copy.putAll(hooks);
    List<Runnable> list = new ArrayList<>(copy.getOrDefault(step, List.of()));
    list.add(hook);
    copy.put(step, List.copyOf(list));
    return new InventoryHooks(copy);
  }

  /**
   * Returns these hooks and one that makes every call of {@code step} throw an {@link
   * IllegalStateException} with {@code message}, as an unreachable inventory would.
   */
  public InventoryHooks failing(Step step, String message) {
    Objects.requireNonNull(message, "message");
    return before(
        step,
        () -> {
          throw new IllegalStateException(message);
        });
  }

  /** Returns these hooks and one that holds every call of {@code step} at {@code gate}. */
  public InventoryHooks stalling(Step step, Gate gate) {
    Objects.requireNonNull(gate, "gate");
    return before(step, gate::pass);
  }

  /** Wraps {@code inventory} so that calls to it run these hooks. */
  @Override
  public ClusterInventory apply(ClusterInventory inventory) {
    return new ForwardingClusterInventory(inventory) {
      @Override
      public List<Node> nodes() {
        run(Step.NODES);
        return super.nodes();
      }

      @Override
      public List<VirtualMachineInstance> virtualMachineInstances() {
        run(Step.VIRTUAL_MACHINE_INSTANCES);
        return super.virtualMachineInstances();
      }

      @Override
      public Optional<VirtualMachineInstance> find(String namespace, String name) {
        run(Step.FIND);
        return super.find(namespace, name);
      }

      @Override
      public Map<String, Integer> vmiCountsByNode() {
        run(Step.VMI_COUNTS_BY_NODE);
        return super.vmiCountsByNode();
      }

      @Override
      public Map<String, String> namespaceLabels(String namespace) {
        run(Step.NAMESPACE_LABELS);
        return super.namespaceLabels(namespace);
      }

      @Override
      public void onMigrated(VirtualMachineInstance vmi, String targetNode) {
        run(Step.ON_MIGRATED);
        super.onMigrated(vmi, targetNode);
      }
    };
  }

  private void run(Step step) {
    for (Runnable hook : hooks.getOrDefault(step, List.of())) {
      hook.run();
    }
  }
}
