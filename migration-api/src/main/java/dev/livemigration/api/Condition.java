package dev.livemigration.api;

import java.util.Optional;
import org.immutables.value.Value;

/**
 * A Kubernetes-style condition of a VMI, such as {@link #LIVE_MIGRATABLE}.
 *
 * <p>When a VMI cannot be migrated, its {@code LiveMigratable} condition has status {@link
 * ConditionStatus#FALSE} and a {@link #reason()} and {@link #message()} that say why.
 */
@Value.Immutable
@ValueStyle
public abstract class Condition {
  /** The type of the condition that tells whether a VMI can be live-migrated. */
  public static final String LIVE_MIGRATABLE = "LiveMigratable";

  /** Reason: a volume's PVC is not shared with {@code ReadWriteMany} access. */
  public static final String REASON_DISK_NOT_SHARED = "DisksNotLiveMigratable";

  /** Reason: a pod network interface uses the bridge binding. */
  public static final String REASON_INTERFACE_NOT_MIGRATABLE = "InterfaceNotLiveMigratable";

  /** Reason: an interface explicitly forwards a port that migration needs (49152, 49153). */
  public static final String REASON_MIGRATION_PORTS_IN_USE = "MigrationPortsInUse";

  Condition() {}

  /** Returns an empty builder; {@code type} and {@code status} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a {@code LiveMigratable} condition that holds. */
  public static Condition liveMigratable() {
    return builder().type(LIVE_MIGRATABLE).status(ConditionStatus.TRUE).build();
  }

  /** Returns a {@code LiveMigratable} condition that does not hold, with its reason. */
  public static Condition notLiveMigratable(String reason, String message) {
    return builder()
        .type(LIVE_MIGRATABLE)
        .status(ConditionStatus.FALSE)
        .reason(reason)
        .message(message)
        .build();
  }

  /** The condition's type, for example {@code LiveMigratable}. */
  public abstract String type();

  /** Whether the condition holds. */
  public abstract ConditionStatus status();

  /** A machine-readable reason, in UpperCamelCase, when there is one. */
  public abstract Optional<String> reason();

  /** A human-readable explanation, when there is one. */
  public abstract Optional<String> message();

  /** Returns whether the condition's status is {@link ConditionStatus#TRUE}. */
  public boolean isTrue() {
    return status() == ConditionStatus.TRUE;
  }

  @Value.Check
  void check() {
    Checks.notBlank("type", type());
  }

  /** Builds a {@link Condition}. */
  public static final class Builder extends ImmutableCondition.Builder {
    Builder() {}
  }
}
