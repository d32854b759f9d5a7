package dev.livemigration.api;

import java.util.List;
import java.util.Map;
import org.immutables.value.Value;

/**
 * What the engine knows of a running VMI: where it runs, its labels, and the memory, volumes and
 * interfaces that decide whether and how it can migrate.
 */
@Value.Immutable
@ValueStyle
public abstract class VirtualMachineInstance {
  VirtualMachineInstance() {}

  /** Returns an empty builder; {@code name}, {@code nodeName} and {@code memory} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The VMI's namespace. */
  @Value.Default
  public String namespace() {
    return VirtualMachineInstanceMigration.DEFAULT_NAMESPACE;
  }

  /** The VMI's name, unique within its namespace. */
  public abstract String name();

  /** The node the VMI runs on. */
  public abstract String nodeName();

  /** The VMI's labels, matched by {@link MigrationPolicy#virtualMachineInstanceSelector()}. */
  public abstract Map<String, String> labels();

  /**
   * The VMI's annotations ({@code metadata.annotations}); admission reads {@link
   * #ALLOW_POD_BRIDGE_MIGRATION}.
   */
  public abstract Map<String, String> annotations();

  /**
   * The annotation with which KubeVirt lets a VMI whose pod-network interface is a bridge migrate:
   * {@code kubevirt.io/allow-pod-bridge-network-live-migration} (any value).
   */
  public static final String ALLOW_POD_BRIDGE_MIGRATION =
      "kubevirt.io/allow-pod-bridge-network-live-migration";

  /** The guest's memory. */
  public abstract Quantity memory();

  /** The VMI's volumes. */
  public abstract List<Volume> volumes();

  /** The VMI's network interfaces. */
  public abstract List<NetworkInterface> interfaces();

  /** Returns the bytes a migration copies: memory plus every volume that must be copied. */
  public long bytesToCopy() {
    long total = memory().bytes();
    for (Volume volume : volumes()) {
      if (volume.isCopied()) {
        total = Math.addExact(total, volume.size().bytes());
      }
    }
    return total;
  }

  @Value.Check
  void check() {
    Checks.namespaceName("namespace", namespace());
    Checks.objectName("name", name());
    Checks.notBlank("nodeName", nodeName());
    Checks.wholeBytes("memory", memory());
    Checks.labels("labels", labels());
  }

  /** Builds a {@link VirtualMachineInstance}. */
  public static final class Builder extends ImmutableVirtualMachineInstance.Builder {
    Builder() {}
  }
}
