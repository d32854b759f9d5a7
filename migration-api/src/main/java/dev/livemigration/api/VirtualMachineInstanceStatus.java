package dev.livemigration.api;

import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * The migration-related part of a VMI's status: its conditions (among them {@code LiveMigratable}),
 * its {@link MigrationMethod} and the state of its latest migration.
 */
@Value.Immutable
@ValueStyle
public abstract class VirtualMachineInstanceStatus {
  VirtualMachineInstanceStatus() {}

  /** Returns an empty builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The VMI's conditions, in the order reported. */
  public abstract List<Condition> conditions();

  /** What a migration of this VMI copies, once computed. */
  public abstract Optional<MigrationMethod> migrationMethod();

  /** The state of the VMI's latest migration, if it had one. */
  public abstract Optional<MigrationState> migrationState();

  /** Returns the condition of the given type, if the VMI reports one. */
  public Optional<Condition> condition(String type) {
    return conditions().stream().filter(c -> c.type().equals(type)).findFirst();
  }

  /** Builds a {@link VirtualMachineInstanceStatus}. */
  public static final class Builder extends ImmutableVirtualMachineInstanceStatus.Builder {
    Builder() {}
  }
}
