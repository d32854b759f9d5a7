package dev.livemigration.core;

import dev.livemigration.api.Node;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.ClusterInventory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An in-memory {@link ClusterInventory}: nodes, running VMIs and namespace labels that a test sets
 * up, and {@link #onMigrated} moving the VMI to its target node. Thread-safe.
 */
final class FakeInventory implements ClusterInventory {
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final Map<String, VirtualMachineInstance> vmis = new LinkedHashMap<>();
  private final Map<String, Map<String, String>> namespaceLabels = new LinkedHashMap<>();
  private final List<String> moves = new ArrayList<>();

  /** Adds nodes with these names, each at address {@code 10.128.0.<n>} (n from 1). */
  synchronized FakeInventory nodes(String... names) {
    for (String name : names) {
      node(Node.builder().name(name).address("10.128.0." + (nodes.size() + 1)).build());
    }
    return this;
  }

  /** Adds or replaces a node. */
  synchronized FakeInventory node(Node node) {
    nodes.put(node.name(), node);
    return this;
  }

  /** Adds or replaces a running VMI. */
  synchronized FakeInventory vmi(VirtualMachineInstance vmi) {
    vmis.put(vmi.namespace() + "/" + vmi.name(), vmi);
    return this;
  }

  /** Removes a VMI, as if it had stopped. */
  synchronized FakeInventory remove(String namespace, String name) {
    vmis.remove(namespace + "/" + name);
    return this;
  }

  /** Sets a namespace's labels. */
  synchronized FakeInventory namespace(String namespace, Map<String, String> labels) {
    namespaceLabels.put(namespace, Map.copyOf(labels));
    return this;
  }

  /** Returns the VMI in the default namespace with this name; fails if it does not run. */
  synchronized VirtualMachineInstance vmi(String name) {
    return find("default", name).orElseThrow(() -> new AssertionError("no VMI " + name));
  }

  /** Returns the node the VMI in the default namespace with this name runs on. */
  synchronized String nodeOf(String name) {
    return vmi(name).nodeName();
  }

  /** The moves reported through {@link #onMigrated}, as {@code namespace/name: from -> to}. */
  synchronized List<String> moves() {
    return List.copyOf(moves);
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
  public synchronized Optional<VirtualMachineInstance> find(String namespace, String name) {
    return Optional.ofNullable(vmis.get(namespace + "/" + name));
  }

  @Override
  public synchronized Map<String, String> namespaceLabels(String namespace) {
    return namespaceLabels.getOrDefault(namespace, Map.of());
  }

  @Override
  public synchronized void onMigrated(VirtualMachineInstance vmi, String targetNode) {
    String key = vmi.namespace() + "/" + vmi.name();
    VirtualMachineInstance running = vmis.get(key);
    if (running == null) {
      throw new IllegalStateException("VMI " + key + " is not running");
    }
    moves.add(key + ": " + running.nodeName() + " -> " + targetNode);
    vmis.put(key, VirtualMachineInstance.builder().from(running).nodeName(targetNode).build());
  }
}
