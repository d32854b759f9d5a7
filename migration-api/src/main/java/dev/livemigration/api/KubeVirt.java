package dev.livemigration.api;

import java.util.List;
import org.immutables.value.Value;

/**
 * The parts of KubeVirt's {@code KubeVirt} custom resource that govern migrations: its name and
 * namespace, the developer feature gates, and the cluster's {@link MigrationConfiguration}.
 */
@Value.Immutable
@ValueStyle
public abstract class KubeVirt {
  /** The name KubeVirt's installation gives its CR: {@code kubevirt}. */
  public static final String DEFAULT_NAME = "kubevirt";

  KubeVirt() {}

  /** Returns a builder for a CR named {@code kubevirt} in namespace {@code kubevirt}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The CR's name ({@code metadata.name}). */
  @Value.Default
  public String name() {
    return DEFAULT_NAME;
  }

  /** The CR's namespace ({@code metadata.namespace}). */
  @Value.Default
  public String namespace() {
    return DEFAULT_NAME;
  }

  /** The feature gates in {@code spec.configuration.developerConfiguration.featureGates}. */
  public abstract List<String> featureGates();

  /** The cluster's migration settings ({@code spec.configuration.migrations}). */
  @Value.Default
  public MigrationConfiguration migrations() {
    return MigrationConfiguration.defaults();
  }

  @Value.Check
  void check() {
    Checks.objectName("metadata.name", name());
    Checks.namespaceName("metadata.namespace", namespace());
    featureGates().forEach(gate -> Checks.notBlank("featureGates", gate));
  }

  /** Builds a {@link KubeVirt}. */
  public static final class Builder extends ImmutableKubeVirt.Builder {
    Builder() {}
  }
}
