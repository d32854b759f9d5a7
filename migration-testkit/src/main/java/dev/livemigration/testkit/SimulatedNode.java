package dev.livemigration.testkit;

import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.Node;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.Taint;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Describes a node of a simulated cluster for {@link AbstractSimulatedCluster#node}: its labels,
 * taints, memory capacity and loopback addresses.
 *
 * <pre>{@code
 * cluster.node("node04", node -> node.label("zone", "b").capacity("8Gi").noMigrationAddress());
 * }</pre>
 *
 * <p>Addresses must be in the loopback range 127.0.0.0/8: a real-bytes cluster listens on them.
 */
public final class SimulatedNode {
  private static final Pattern LOOPBACK =
      Pattern.compile("127\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){2}");

  private final Node.Builder node;
  private final String name;
  private @Nullable Quantity capacity;

  SimulatedNode(Node current, @Nullable Quantity capacity) {
    this.node = Node.builder().from(current);
    this.name = current.name();
    this.capacity = capacity;
  }

  /** Adds a label, matched by node selectors. */
  public SimulatedNode label(String key, String value) {
    node.putLabels(key, value);
    return this;
  }

  /** Adds a taint, for example the drain taint {@code kubevirt.io/drain}. */
  public SimulatedNode taint(String key) {
    node.addTaints(Taint.of(key));
    return this;
  }

  /**
   * Limits the memory of the VMIs the node holds, such as {@code 8Gi}: a VMI that does not fit is
   * neither placed nor migrated there. Unlimited unless set.
   */
  public SimulatedNode capacity(String memory) {
    Quantity parsed = Quantity.parse(memory);
    if (parsed.bytes() <= 0) {
      throw new InvalidValueException(
          "nodes[" + name + "].capacity", "must be positive", "'" + memory + "'");
    }
    this.capacity = parsed;
    return this;
  }

  /** Sets the node's address on the primary network, in 127.0.0.0/8. */
  public SimulatedNode address(String address) {
    node.address(loopback("address", address));
    return this;
  }

  /** Sets the node's address on the dedicated migration network, in 127.0.0.0/8. */
  public SimulatedNode migrationAddress(String address) {
    node.migrationAddress(loopback("migrationAddress", address));
    return this;
  }

  /** Leaves the node off the migration network: migrations to it use its primary address. */
  public SimulatedNode noMigrationAddress() {
    node.migrationAddress(java.util.Optional.empty());
    return this;
  }

  /** Marks the node unschedulable (cordoned): no migration goes there. */
  public SimulatedNode unschedulable() {
    node.schedulable(false);
    return this;
  }

  private String loopback(String field, String address) {
    Objects.requireNonNull(address, field);
    if (!LOOPBACK.matcher(address).matches()) {
      throw new InvalidValueException(
          "nodes[" + name + "]." + field,
          "must be an IPv4 address in the loopback range 127.0.0.0/8",
          "'" + address + "'");
    }
    return address;
  }

  Node build() {
    return node.build();
  }

  @Nullable Quantity capacity() {
    return capacity;
  }
}
