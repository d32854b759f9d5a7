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
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The guide's rules for whether a VMI can be live-migrated and what a migration copies: its {@code
 * LiveMigratable} condition and its {@link MigrationMethod}.
 */
public final class Admission {
  /** The ports a migration needs free in the guest's network namespace (memory, disks). */
  public static final Set<Integer> MIGRATION_PORTS = Set.of(49152, 49153);

  private Admission() {}

  /**
   * Returns the VMI's {@code LiveMigratable} condition under the guide's rules: every claim must be
   * {@code ReadWriteMany}, no pod-network interface may use the bridge binding, and no interface
   * may explicitly forward the migration ports. When several rules are broken, the reason is the
   * first one's and the message lists them all.
   */
  public static Condition liveMigratable(VirtualMachineInstance vmi) {
    List<String> disks = new ArrayList<>();
    for (Volume volume : vmi.volumes()) {
      if (volume.type().isClaim() && !volume.isShared()) {
        disks.add(
            "volume '"
                + volume.name()
                + "' is a claim with access modes "
                + volume.accessModes().stream()
                    .map(AccessMode::kubernetesName)
                    .collect(Collectors.joining(", ", "[", "]"))
                + "; live migration needs ReadWriteMany");
      }
    }
    List<String> bridges = new ArrayList<>();
    List<String> ports = new ArrayList<>();
    for (NetworkInterface nic : vmi.interfaces()) {
      if (nic.podNetwork() && nic.binding() == InterfaceBinding.BRIDGE) {
        bridges.add("interface '" + nic.name() + "' binds the pod network as a bridge");
      }
      Set<Integer> taken =
          nic.ports().stream().filter(MIGRATION_PORTS::contains).collect(Collectors.toSet());
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
            : !bridges.isEmpty()
                ? Condition.REASON_INTERFACE_NOT_MIGRATABLE
                : !ports.isEmpty() ? Condition.REASON_MIGRATION_PORTS_IN_USE : null;
    if (reason == null) {
      return Condition.liveMigratable();
    }
    List<String> all = new ArrayList<>(disks);
    all.addAll(bridges);
    all.addAll(ports);
    return Condition.notLiveMigratable(reason, String.join("; ", all));
  }

  /**
   * Returns {@link MigrationMethod#BLOCK_MIGRATION} when some volume lives on the node and must be
   * copied, otherwise {@link MigrationMethod#LIVE_MIGRATION}.
   */
  public static MigrationMethod method(VirtualMachineInstance vmi) {
    return vmi.volumes().stream().anyMatch(volume -> volume.type().isNodeLocal())
        ? MigrationMethod.BLOCK_MIGRATION
        : MigrationMethod.LIVE_MIGRATION;
  }
}
