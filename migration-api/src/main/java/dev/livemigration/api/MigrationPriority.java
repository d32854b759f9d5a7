package dev.livemigration.api;

import java.util.Arrays;
import java.util.Optional;

/**
 * How urgent a migration is: KubeVirt's {@code VirtualMachineInstanceMigration.spec.priority}. A
 * request without a priority ranks below all three, as in KubeVirt's queue.
 */
public enum MigrationPriority {
  /** Must happen (KubeVirt uses it for evacuations and workload updates): the highest. */
  SYSTEM_CRITICAL("system-critical"),
  /** Asked for by a person. */
  USER_TRIGGERED("user-triggered"),
  /** Housekeeping that may wait: the lowest of the three. */
  SYSTEM_MAINTENANCE("system-maintenance");

  private final String wireName;

  MigrationPriority(String wireName) {
    this.wireName = wireName;
  }

  /** The name KubeVirt writes, as in {@code system-critical}. */
  public String wireName() {
    return wireName;
  }

  /** Returns the priority KubeVirt writes as {@code wireName}, if there is one. */
  public static Optional<MigrationPriority> fromWireName(String wireName) {
    return Arrays.stream(values()).filter(p -> p.wireName.equals(wireName)).findFirst();
  }
}
