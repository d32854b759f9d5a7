package dev.livemigration.core;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.Condition;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * KubeVirt's rules for whether a VMI can be live-migrated and what a migration copies: its {@code
 * LiveMigratable} condition and its {@link MigrationMethod}.
 */
public final class Admission {
  /** The ports a migration needs free in the guest's network namespace (memory, disks). */
  public static final Set<Integer> MIGRATION_PORTS = Set.of(49152, 49153);

  private Admission() {}

  /**
   * Returns the VMI's {@code LiveMigratable} condition as KubeVirt decides it, with no binding
   * plugin registered as migratable; see {@link #liveMigratable(VirtualMachineInstance, Set)}.
   */
  public static Condition liveMigratable(VirtualMachineInstance vmi) {
    return liveMigratable(vmi, Set.of());
  }

  /**
   * Returns the VMI's {@code LiveMigratable} condition under KubeVirt's rules:
   *
   * <ul>
   *   <li>every claim ({@code persistentVolumeClaim}, {@code dataVolume}) must be known to be
   *       {@code ReadWriteMany}: a claim whose access modes are not known is refused, as KubeVirt
   *       refuses a claim it has no {@code status.volumeStatus} for. Other volumes do not stop a
   *       migration: a container disk, an empty disk, an ephemeral volume, a memory dump and a host
   *       disk that is not {@link Volume#markedShared() shared} are copied (see {@link #method}); a
   *       {@code containerPath} volume is on every node;
   *   <li>the interface on the pod network must be {@code masquerade} or {@code passtBinding}, a
   *       {@code bridge} on a VMI with the annotation {@link
   *       VirtualMachineInstance#ALLOW_POD_BRIDGE_MIGRATION}, or a binding plugin among {@code
   *       migratableBindingPlugins} (those the cluster registers with a {@code migration} method);
   *       {@code slirp}, {@code macvtap}, the deprecated core {@code passt} and any other binding
   *       are refused there. Interfaces on secondary networks (Multus, resource claims), SR-IOV
   *       among them, are not checked, as in KubeVirt;
   *   <li>no interface may explicitly forward a port that migration needs ({@link
   *       #MIGRATION_PORTS}), in {@code ports} or {@code portRanges}.
   * </ul>
   *
   * When several rules are broken, the reason is the first one's and the message lists them all.
   *
   * @param migratableBindingPlugins the names of the network binding plugins the cluster registers
   *     with a migration method ({@code spec.configuration.network.binding.<name>.migration})
   */
  public static Condition liveMigratable(
      VirtualMachineInstance vmi, Set<String> migratableBindingPlugins) {
    List<String> disks = new ArrayList<>();
    for (Volume volume : vmi.volumes()) {
      if (!volume.type().isClaim() || volume.isShared()) {
        continue;
      }
      if (volume.accessModes().isEmpty()) {
        disks.add(
            "volume '"
                + volume.name()
                + "' is a claim whose access modes are not known (neither its"
                + " PersistentVolumeClaim nor status.volumeStatus gives them); live migration"
                + " needs ReadWriteMany");
      } else {
        disks.add(
            "volume '"
                + volume.name()
                + "' is a claim with access modes "
                + volume.accessModes().stream()
                    .map(AccessMode::kubernetesName)
                    .sorted()
                    .collect(Collectors.joining(", ", "[", "]"))
                + "; live migration needs ReadWriteMany");
      }
    }
    List<String> interfaces = new ArrayList<>();
    List<String> ports = new ArrayList<>();
    for (NetworkInterface nic : vmi.interfaces()) {
      if (nic.podNetwork()) {
        podNetworkProblem(vmi, nic, migratableBindingPlugins).ifPresent(interfaces::add);
      }
      Set<Integer> taken =
          MIGRATION_PORTS.stream().filter(nic::forwardsPort).collect(Collectors.toSet());
      if (!taken.isEmpty()) {
        ports.add(
            "interface '"
                + nic.name()
                + "' forwards port(s) "
                + taken.stream().sorted().map(String::valueOf).collect(Collectors.joining(", "))
                + " that live migration needs");
      }
    }
    String reason =
        !disks.isEmpty()
            ? Condition.REASON_DISK_NOT_SHARED
            : !interfaces.isEmpty()
                ? Condition.REASON_INTERFACE_NOT_MIGRATABLE
                : !ports.isEmpty() ? Condition.REASON_MIGRATION_PORTS_IN_USE : null;
    if (reason == null) {
      return Condition.liveMigratable();
    }
    List<String> all = new ArrayList<>(disks);
    all.addAll(interfaces);
    all.addAll(ports);
    return Condition.notLiveMigratable(reason, String.join("; ", all));
  }

  /** Why the pod-network interface {@code nic} stops a migration, if it does. */
  private static Optional<String> podNetworkProblem(
      VirtualMachineInstance vmi, NetworkInterface nic, Set<String> migratableBindingPlugins) {
    String start = "interface '" + nic.name() + "' on the pod network ";
    return switch (nic.binding()) {
      case MASQUERADE, PASST_BINDING -> Optional.empty();
      case BRIDGE ->
          vmi.annotations().containsKey(VirtualMachineInstance.ALLOW_POD_BRIDGE_MIGRATION)
              ? Optional.empty()
              : Optional.of(
                  start
                      + "is a bridge, which migrates only on a VMI with the annotation "
                      + VirtualMachineInstance.ALLOW_POD_BRIDGE_MIGRATION);
      case PLUGIN -> {
        String plugin = nic.bindingPlugin().orElse("");
        yield migratableBindingPlugins.contains(plugin)
            ? Optional.empty()
            : Optional.of(
                start
                    + "uses the binding plugin '"
                    + plugin
                    + "', which is not registered as migratable: register it in the KubeVirt CR"
                    + " with a migration block (spec.configuration.network.binding."
                    + plugin
                    + ".migration.method: link-refresh) and give the engine its name"
                    + " (MigrationEngines.Builder.migratableBindingPlugins)");
      }
      default ->
          Optional.of(
              start
                  + "is bound with "
                  + bindingKey(nic.binding())
                  + "; only masquerade, passtBinding, a bridge allowed by annotation or a binding"
                  + " plugin with a migration method can migrate");
    };
  }

  /** The key KubeVirt writes a binding under: {@code slirp}, {@code macvtap}, {@code passt}. */
  private static String bindingKey(InterfaceBinding binding) {
    return switch (binding) {
      case PASST_BINDING -> "passtBinding";
      case PLUGIN -> "binding";
      default -> binding.name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  /**
   * Returns {@link MigrationMethod#BLOCK_MIGRATION} when some volume lives on the node and must be
   * copied ({@link Volume#isCopied()}: a container disk, an empty disk, an ephemeral volume, a
   * memory dump, a host disk not marked shared), otherwise {@link MigrationMethod#LIVE_MIGRATION}.
   */
  public static MigrationMethod method(VirtualMachineInstance vmi) {
    return vmi.volumes().stream().anyMatch(Volume::isCopied)
        ? MigrationMethod.BLOCK_MIGRATION
        : MigrationMethod.LIVE_MIGRATION;
  }
}
