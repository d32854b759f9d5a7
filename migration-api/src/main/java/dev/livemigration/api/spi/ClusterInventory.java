package dev.livemigration.api.spi;

import dev.livemigration.api.Node;
import dev.livemigration.api.VirtualMachineInstance;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The engine's view of the cluster: nodes, running VMIs and namespace labels. */
public interface ClusterInventory {

  /** Returns every node of the cluster. */
  List<Node> nodes();

  /** Returns every running VMI of the cluster. */
  List<VirtualMachineInstance> virtualMachineInstances();

  /** Returns the VMI with this namespace and name, if it runs. */
  default Optional<VirtualMachineInstance> find(String namespace, String name) {
    return virtualMachineInstances().stream()
        .filter(vmi -> vmi.namespace().equals(namespace) && vmi.name().equals(name))
        .findFirst();
  }

  /** Returns how many VMIs run on each node, by node name; override when it can be cheaper. */
  default Map<String, Integer> vmiCountsByNode() {
    Map<String, Integer> counts = new HashMap<>();
    for (VirtualMachineInstance vmi : virtualMachineInstances()) {
      counts.merge(vmi.nodeName(), 1, Integer::sum);
    }
    return counts;
  }

  /** Returns a namespace's labels, matched by policies' namespace selectors. */
  default Map<String, String> namespaceLabels(String namespace) {
    return Map.of();
  }

  /** Told when a VMI now runs on {@code targetNode}, so the inventory can follow it. */
  default void onMigrated(VirtualMachineInstance vmi, String targetNode) {}
}
