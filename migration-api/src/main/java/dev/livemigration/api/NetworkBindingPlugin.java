package dev.livemigration.api;

import java.util.Optional;
import org.immutables.value.Value;

/**
 * A network binding plugin the cluster registers in KubeVirt's CR ({@code
 * spec.configuration.network.binding.<name>}), as far as migration cares: its name and whether it
 * has a {@code migration} block. KubeVirt migrates a VMI whose pod-network interface uses the
 * plugin only when it has one, with or without a method.
 */
@Value.Immutable
@ValueStyle
public abstract class NetworkBindingPlugin {
  NetworkBindingPlugin() {}

  /** Returns a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** A plugin registered with {@code migration: {method: link-refresh}}. */
  public static NetworkBindingPlugin linkRefresh(String name) {
    return builder()
        .name(name)
        .migratable(true)
        .migrationMethod(BindingMigrationMethod.LINK_REFRESH)
        .build();
  }

  /**
   * The plugin's name: its key under {@code binding}, which interfaces give in {@code
   * binding.name}.
   */
  public abstract String name();

  /** Whether the plugin has a {@code migration} block, so that VMIs using it may migrate. */
  @Value.Default
  public boolean migratable() {
    return false;
  }

  /** The plugin's {@code migration.method}, if it gives one. */
  public abstract Optional<BindingMigrationMethod> migrationMethod();

  @Value.Check
  void check() {
    Checks.notBlank("name", name());
    if (migrationMethod().isPresent() && !migratable()) {
      throw Checks.invalid(
          "migrationMethod",
          "needs migratable: a method is given in the plugin's migration block",
          migrationMethod().get().wireName());
    }
  }

  /** Builds a {@link NetworkBindingPlugin}. */
  public static final class Builder extends ImmutableNetworkBindingPlugin.Builder {
    Builder() {}
  }
}
