package dev.livemigration.testkit;

import dev.livemigration.api.Node;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.ClusterInventory;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link ClusterInventory} that forwards every call to another; extend it and override what a
 * test should change, for example an inventory that answers slowly.
 *
 * <pre>{@code
 * cluster.wrapInventory(inventory -> new ForwardingClusterInventory(inventory) {
 *   @Override
 *   public Optional<VirtualMachineInstance> find(String namespace, String name) {
 *     gate.pass();                    // stalls until the test opens the gate
 *     return super.find(namespace, name);
 *   }
 * });
 * }</pre>
 */
public class ForwardingClusterInventory implements ClusterInventory {
  private final ClusterInventory delegate;

  /** Creates an inventory that forwards to {@code delegate}. */
  public ForwardingClusterInventory(ClusterInventory delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The inventory calls are forwarded to. */
  protected final ClusterInventory delegate() {
    return delegate;
  }

  @Override
  public List<Node> nodes() {
    return delegate.nodes();
  }

  @Override
  public List<VirtualMachineInstance> virtualMachineInstances() {
    return delegate.virtualMachineInstances();
  }

  @Override
  public Optional<VirtualMachineInstance> find(String namespace, String name) {
    return delegate.find(namespace, name);
  }

  @Override
  public Map<String, Integer> vmiCountsByNode() {
    return delegate.vmiCountsByNode();
  }

  @Override
  public Map<String, String> namespaceLabels(String namespace) {
    return delegate.namespaceLabels(namespace);
  }

  @Override
  public void onMigrated(VirtualMachineInstance vmi, String targetNode) {
    delegate.onMigrated(vmi, targetNode);
  }
}
