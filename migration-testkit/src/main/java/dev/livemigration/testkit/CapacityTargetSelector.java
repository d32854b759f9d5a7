package dev.livemigration.testkit;

import dev.livemigration.api.Node;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.TargetSelector;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the least-loaded candidate (then by name) among those with room for the VMI's memory, and
 * holds that room until the migration ends, so that two migrations never fill the same room.
 */
final class CapacityTargetSelector implements TargetSelector {
  private static final Logger LOG = LoggerFactory.getLogger(CapacityTargetSelector.class);

  private final InMemoryInventory inventory;
  private final ToLongFunction<String> capacity;
  private final Map<String, Reservation> reservations = new HashMap<>();

  private record Reservation(String node, long bytes) {}

  /**
   * @param capacity a node's memory capacity in bytes by name; {@link Long#MAX_VALUE} if unlimited
   */
  CapacityTargetSelector(InMemoryInventory inventory, ToLongFunction<String> capacity) {
    this.inventory = inventory;
    this.capacity = capacity;
  }

  @Override
  public synchronized Optional<Node> select(
      VirtualMachineInstance vmi, List<Node> candidates, Map<String, Integer> load) {
    long needed = vmi.memory().bytes();
    Optional<Node> chosen =
        candidates.stream()
            .filter(node -> free(node.name()) >= needed)
            .min(
                Comparator.<Node>comparingInt(node -> load.getOrDefault(node.name(), 0))
                    .thenComparing(Node::name));
    if (chosen.isEmpty() && !candidates.isEmpty()) {
      LOG.info(
          "No candidate node has room for the {} bytes of VMI {}/{}",
          needed,
          vmi.namespace(),
          vmi.name());
    }
    chosen.ifPresent(
        node -> reservations.put(key(vmi), new Reservation(node.name(), vmi.memory().bytes())));
    return chosen;
  }

  /** Memory still free on a node: its capacity less its VMIs and the migrations coming to it. */
  synchronized long free(String node) {
    long limit = capacity.applyAsLong(node);
    if (limit == Long.MAX_VALUE) {
      return Long.MAX_VALUE;
    }
    long used = 0;
    for (VirtualMachineInstance vmi : inventory.virtualMachineInstances()) {
      if (vmi.nodeName().equals(node)) {
        used += vmi.memory().bytes();
      }
    }
    for (Map.Entry<String, Reservation> entry : reservations.entrySet()) {
      Reservation reservation = entry.getValue();
      boolean arrived =
          inventory
              .find(namespaceOf(entry.getKey()), nameOf(entry.getKey()))
              .filter(vmi -> vmi.nodeName().equals(reservation.node()))
              .isPresent();
      if (reservation.node().equals(node) && !arrived) {
        used += reservation.bytes();
      }
    }
    return limit - used;
  }

  /** Gives back the room held for a VMI's migration, which ended. */
  synchronized void release(String namespace, String vmiName) {
    reservations.remove(namespace + "/" + vmiName);
  }

  private static String key(VirtualMachineInstance vmi) {
    return vmi.namespace() + "/" + vmi.name();
  }

  private static String namespaceOf(String key) {
    return key.substring(0, key.indexOf('/'));
  }

  private static String nameOf(String key) {
    return key.substring(key.indexOf('/') + 1);
  }
}
