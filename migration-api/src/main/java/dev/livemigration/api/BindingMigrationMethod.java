package dev.livemigration.api;

import java.util.Arrays;
import java.util.Optional;

/**
 * How a network binding plugin's interface is handled when its VMI migrates: KubeVirt's {@code
 * spec.configuration.network.binding.<name>.migration.method}.
 */
public enum BindingMigrationMethod {
  /** The guest's link is set down and up on the target, so that it asks DHCP again. */
  LINK_REFRESH("link-refresh");

  private final String wireName;

  BindingMigrationMethod(String wireName) {
    this.wireName = wireName;
  }

  /** The name KubeVirt writes, as in {@code link-refresh}. */
  public String wireName() {
    return wireName;
  }

  /** Returns the method KubeVirt writes as {@code wireName}, if there is one. */
  public static Optional<BindingMigrationMethod> fromWireName(String wireName) {
    return Arrays.stream(values()).filter(m -> m.wireName.equals(wireName)).findFirst();
  }
}
