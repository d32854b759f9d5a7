package dev.livemigration.testkit;

import dev.livemigration.api.Node;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.ClusterInventory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A thread-safe {@link ClusterInventory} held in memory: add nodes, VMIs and namespace labels; VMIs
 * move to their target node when the engine reports a successful migration.
 */
public final class InMemoryInventory implements ClusterInventory {
  private final Map<String, Node> nodes = new ConcurrentHashMap<>();
  private final Map<String, VirtualMachineInstance> vmis = new ConcurrentHashMap<>();
  private final Map<String, Map<String, String>> namespaces = new ConcurrentHashMap<>();
  private final Map<String, Integer> counts = new HashMap<>();

  /** Adds or replaces a node. */
  public InMemoryInventory add(Node node) {
    nodes.put(node.name(), node);
    return this;
  }

  /** Adds or replaces a VMI. */
  public synchronized InMemoryInventory add(VirtualMachineInstance vmi) {
    count(vmis.put(key(vmi.namespace(), vmi.name()), vmi), -1);
    count(vmi, 1);
    return this;
  }

  /** Sets a namespace's labels. */
  public InMemoryInventory labelNamespace(String namespace, Map<String, String> labels) {
    namespaces.put(namespace, Map.copyOf(labels));
    return this;
  }

  /** Removes a VMI, as when it is stopped. */
  public synchronized void remove(String namespace, String name) {
    count(vmis.remove(key(namespace, name)), -1);
  }

  private void count(@Nullable VirtualMachineInstance vmi, int delta) {
    if (vmi != null) {
      counts.merge(vmi.nodeName(), delta, Integer::sum);
      counts.remove(vmi.nodeName(), 0);
    }
  }

  @Override
  public List<Node> nodes() {
    List<Node> all = new ArrayList<>(nodes.values());
    all.sort((a, b) -> a.name().compareTo(b.name()));
    return all;
  }

  @Override
  public List<VirtualMachineInstance> virtualMachineInstances() {
    return sorted(vmis.values());
  }

  @Override
  public Optional<VirtualMachineInstance> find(String namespace, String name) {
    return Optional.ofNullable(vmis.get(key(namespace, name)));
  }

  @Override
  public synchronized Map<String, Integer> vmiCountsByNode() {
    return Map.copyOf(counts);
  }

  @Override
  public Map<String, String> namespaceLabels(String namespace) {
    return namespaces.getOrDefault(namespace, Map.of());
  }

  @Override
  public synchronized void onMigrated(VirtualMachineInstance vmi, String targetNode) {
    VirtualMachineInstance current = vmis.get(key(vmi.namespace(), vmi.name()));
    if (current != null) {
      add(VirtualMachineInstance.builder().from(current).nodeName(targetNode).build());
    }
  }

  private static List<VirtualMachineInstance> sorted(Collection<VirtualMachineInstance> values) {
    List<VirtualMachineInstance> all = new ArrayList<>(values);
    all.sort(
        (a, b) ->
            a.namespace().equals(b.namespace())
                ? a.name().compareTo(b.name())
                : a.namespace().compareTo(b.namespace()));
    return all;
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }
}
