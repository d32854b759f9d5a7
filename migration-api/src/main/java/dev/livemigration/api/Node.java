package dev.livemigration.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.immutables.value.Value;

/** A host that runs VMIs: its name, labels, taints and the addresses migrations can use. */
@Value.Immutable
@ValueStyle
public abstract class Node {
  Node() {}

  /** Returns an empty builder; {@code name} and {@code address} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The node's name, unique in the cluster. */
  public abstract String name();

  /** The node's labels. */
  public abstract Map<String, String> labels();

  /** The node's taints. */
  public abstract List<Taint> taints();

  /** The node's address on the primary network. */
  public abstract String address();

  /** The node's address on the dedicated migration network, when it has one. */
  public abstract Optional<String> migrationAddress();

  /** Whether new VMIs (and incoming migrations) may be placed on this node. */
  @Value.Default
  public boolean schedulable() {
    return true;
  }

  /** Returns whether the node carries a taint with this key. */
  public boolean hasTaint(String key) {
    return taints().stream().anyMatch(taint -> taint.key().equals(key));
  }

  /** Returns the address migrations to this node use: the migration network's, if configured. */
  public String addressFor(MigrationConfiguration configuration) {
    return configuration.network().isPresent() ? migrationAddress().orElse(address()) : address();
  }

  @Value.Check
  void check() {
    Checks.notBlank("node name", name());
    Checks.notBlank("nodes[" + name() + "].address", address());
    Checks.labels("nodes[" + name() + "].labels", labels());
  }

  /** Builds a {@link Node}. */
  public static final class Builder extends ImmutableNode.Builder {
    Builder() {}
  }
}
