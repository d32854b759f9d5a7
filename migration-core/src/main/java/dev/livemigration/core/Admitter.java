package dev.livemigration.core;

import dev.livemigration.api.Condition;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationPriority;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationRejectedException.Reason;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.spi.ClusterInventory;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.api.spi.PolicySource;
import dev.livemigration.api.spi.StaleVmiException;
import dev.livemigration.api.spi.VmiSlot;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits a request: reads the VMI's slot in the store, then the VMI from the inventory, checks the
 * rules, resolves the policy, and creates the record in one atomic step of the store that fails if
 * a migration of the VMI was admitted or ended since the slot was read. The VMI's location is then
 * never older than the end of its last migration: the end tells the inventory before it releases
 * the slot.
 */
final class Admitter {
  private static final Logger LOG = LoggerFactory.getLogger(Admitter.class);

  /** Reads of a VMI whose migrations keep ending during admission before giving up. */
  static final int ATTEMPTS = 8;

  private final MigrationStore store;
  private final ClusterInventory inventory;
  private final HypervisorBackend backend;
  private final PolicySource policies;
  private final Supplier<MigrationConfiguration> configuration;
  private final Set<String> migratableBindingPlugins;

  Admitter(
      MigrationStore store,
      ClusterInventory inventory,
      HypervisorBackend backend,
      PolicySource policies,
      Supplier<MigrationConfiguration> configuration,
      Set<String> migratableBindingPlugins) {
    this.store = store;
    this.inventory = inventory;
    this.backend = backend;
    this.policies = policies;
    this.configuration = configuration;
    this.migratableBindingPlugins = Set.copyOf(migratableBindingPlugins);
  }

  MigrationRecord admit(VirtualMachineInstanceMigration request) {
    String vmiKey = request.namespace() + "/" + request.vmiName();
    for (int attempt = 1; ; attempt++) {
      VmiSlot slot = store.vmiSlot(request.namespace(), request.vmiName());
      if (slot.activeMigrationUid() != null) {
        String name =
            store.find(slot.activeMigrationUid()).map(r -> r.request().name()).orElse("another");
        throw new MigrationRejectedException(
            Reason.ALREADY_MIGRATING, "VMI " + vmiKey + " is already migrating in " + name);
      }
      VirtualMachineInstance vmi = readVmi(request, vmiKey);
      try {
        return store.admit(record(request, vmi), slot.generation());
      } catch (StaleVmiException e) {
        if (attempt >= ATTEMPTS) {
          throw new MigrationRejectedException(
              Reason.VMI_MOVING,
              "VMI "
                  + vmiKey
                  + " kept changing while the request was admitted ("
                  + ATTEMPTS
                  + " reads); try again");
        }
        LOG.debug("Admission of {} read VMI {} again: {}", request.name(), vmiKey, e.getMessage());
      }
    }
  }

  private VirtualMachineInstance readVmi(VirtualMachineInstanceMigration request, String vmiKey) {
    VirtualMachineInstance vmi =
        inventory
            .find(request.namespace(), request.vmiName())
            .orElseThrow(
                () ->
                    new MigrationRejectedException(
                        Reason.VMI_NOT_FOUND, "VMI " + vmiKey + " is not running in the cluster"));
    if (vmi.memory().bytes() <= 0) {
      throw new MigrationRejectedException(
          Reason.INVALID_VMI,
          "VMI "
              + vmiKey
              + " has memory "
              + vmi.memory()
              + " in the inventory, but it must be positive: the completion timeout is counted"
              + " per GiB of memory");
    }
    Condition condition = liveMigratable(vmi);
    if (!condition.isTrue()) {
      throw new MigrationRejectedException(
          Reason.NOT_LIVE_MIGRATABLE,
          "VMI "
              + vmiKey
              + " is not live-migratable ("
              + condition.reason().orElse("")
              + "): "
              + condition.message().orElse(""));
    }
    return vmi;
  }

  /**
   * The VMI's {@code LiveMigratable} condition: KubeVirt's rules, with the binding plugins the
   * engine was told the cluster registers as migratable, then the backend's own checks.
   */
  Condition liveMigratable(VirtualMachineInstance vmi) {
    Condition ours = Admission.liveMigratable(vmi, migratableBindingPlugins);
    return ours.isTrue() ? backend.checkMigratable(vmi).orElse(ours) : ours;
  }

  private MigrationRecord record(
      VirtualMachineInstanceMigration request, VirtualMachineInstance vmi) {
    MigrationConfiguration cluster = configuration.get();
    Optional<MigrationPolicy> policy =
        PolicyResolver.resolve(
            policies.policies(), inventory.namespaceLabels(vmi.namespace()), vmi.labels());
    MigrationConfiguration effective = policy.map(p -> p.applyTo(cluster)).orElse(cluster);
    MigrationState.Builder initial =
        MigrationState.builder()
            .migrationUid(UUID.randomUUID().toString())
            .phase(MigrationPhase.PENDING)
            .migrationConfig(effective)
            .sourceNode(vmi.nodeName());
    policy.ifPresent(p -> initial.migrationPolicyName(p.name()));
    return MigrationRecord.admitted(
        request, vmi, Admission.method(vmi), effective, initial.build(), rank(request));
  }

  /**
   * The queue rank of a request: {@code system-critical} first, then {@code user-triggered}, then
   * {@code system-maintenance}, then requests without a priority; first come first served within
   * one rank.
   */
  static int rank(VirtualMachineInstanceMigration request) {
    return request.priority().map(p -> MigrationPriority.values().length - p.ordinal()).orElse(0);
  }
}
