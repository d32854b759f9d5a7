package dev.livemigration.api;

import java.util.Map;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * A request to live-migrate one VMI: KubeVirt's {@code VirtualMachineInstanceMigration}.
 *
 * <pre>{@code
 * VirtualMachineInstanceMigration request =
 *     VirtualMachineInstanceMigration.of("migration-job", "vmi-fedora");
 * }</pre>
 */
@Value.Immutable
@ValueStyle
public abstract class VirtualMachineInstanceMigration {
  /** The namespace of a request that names none: {@code default}, as in Kubernetes. */
  public static final String DEFAULT_NAMESPACE = "default";

  VirtualMachineInstanceMigration() {}

  /** Returns an empty builder; {@code name} and {@code vmiName} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a request named {@code name} for VMI {@code vmiName} in the default namespace. */
  public static VirtualMachineInstanceMigration of(String name, String vmiName) {
    return builder().name(name).vmiName(vmiName).build();
  }

  /** The request's name ({@code metadata.name}), unique within its namespace. */
  public abstract String name();

  /** The namespace of the request and of its VMI ({@code metadata.namespace}). */
  @Value.Default
  public String namespace() {
    return DEFAULT_NAMESPACE;
  }

  /** The name of the VMI to migrate ({@code spec.vmiName}). */
  public abstract String vmiName();

  /**
   * How urgent the request is ({@code spec.priority}); empty ranks below every priority, as in
   * KubeVirt. The engine's queue starts {@code system-critical} first, then {@code user-triggered},
   * then {@code system-maintenance}, then requests without one; first come first served within one.
   * Like KubeVirt's, the queue does not preempt: a running migration is never stopped for a more
   * urgent one.
   */
  public abstract Optional<MigrationPriority> priority();

  /**
   * Labels the target node must carry on top of the VMI's own constraints ({@code
   * spec.addedNodeSelector}): the engine chooses the target among the nodes that carry all of them,
   * and fails the migration with the labels in its reason when none does.
   */
  public abstract Map<String, String> addedNodeSelector();

  @Value.Check
  void check() {
    Checks.labels("spec.addedNodeSelector", addedNodeSelector());
    Checks.objectName("metadata.name", name());
    Checks.namespaceName("metadata.namespace", namespace());
    Checks.objectName("spec.vmiName", vmiName());
  }

  /** Builds a {@link VirtualMachineInstanceMigration}. */
  public static final class Builder extends ImmutableVirtualMachineInstanceMigration.Builder {
    Builder() {}
  }
}
