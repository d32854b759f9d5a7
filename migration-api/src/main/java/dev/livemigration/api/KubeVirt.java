package dev.livemigration.api;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * The parts of KubeVirt's {@code KubeVirt} custom resource that govern migrations: its name and
 * namespace, the developer feature gates, the cluster's {@link MigrationConfiguration} and its
 * network binding plugins.
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

  /**
   * The network binding plugins the cluster registers ({@code spec.configuration.network.binding}),
   * each name once.
   */
  public abstract List<NetworkBindingPlugin> bindingPlugins();

  /**
   * The names of the binding plugins registered with a {@code migration} block: a VMI whose
   * pod-network interface uses one of them may migrate. Pass them to the engine's builder.
   */
  @Value.Derived
  public Set<String> migratableBindingPlugins() {
    return bindingPlugins().stream()
        .filter(NetworkBindingPlugin::migratable)
        .map(NetworkBindingPlugin::name)
        .collect(Collectors.toUnmodifiableSet());
  }

  @Value.Check
  void check() {
    Checks.objectName("metadata.name", name());
    Checks.namespaceName("metadata.namespace", namespace());
    featureGates().forEach(gate -> Checks.notBlank("featureGates", gate));
    Set<String> names = new HashSet<>();
    for (NetworkBindingPlugin plugin : bindingPlugins()) {
      if (!names.add(plugin.name())) {
        throw Checks.invalid(
            "spec.configuration.network.binding", "must name each plugin once", plugin.name());
      }
    }
  }

  /** Builds a {@link KubeVirt}. */
  public static final class Builder extends ImmutableKubeVirt.Builder {
    Builder() {}
  }
}
