package dev.livemigration.testkit.tck;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationStore;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;

/**
 * Records for {@link dev.livemigration.api.spi.MigrationStore} tests: VMIs, newly admitted records
 * and the states a driving engine writes, with every field a store must keep filled in.
 */
public final class StoreRecords {
  private StoreRecords() {}

  /** A VMI in namespace {@code default} on {@code node}, with labels, volumes and an interface. */
  public static VirtualMachineInstance vmi(String name, String node) {
    return VirtualMachineInstance.builder()
        .name(name)
        .nodeName(node)
        .memory(Quantity.parse("1536Mi"))
        .putLabels("app", name)
        .putLabels("special", "vmi-fedora")
        .addVolumes(
            Volume.builder()
                .name("rootdisk")
                .type(VolumeType.PERSISTENT_VOLUME_CLAIM)
                .addAccessModes(AccessMode.READ_WRITE_MANY)
                .size(Quantity.parse("10Gi"))
                .build(),
            Volume.builder()
                .name("scratch")
                .type(VolumeType.EMPTY_DISK)
                .size(Quantity.parse("512M"))
                .build())
        .addInterfaces(
            NetworkInterface.builder()
                .name("default")
                .binding(InterfaceBinding.MASQUERADE)
                .podNetwork(true)
                .addPorts(22, 80)
                .build())
        .build();
  }

  /** An effective configuration with every field away from its default. */
  public static MigrationConfiguration configuration() {
    return MigrationConfiguration.builder()
        .parallelMigrationsPerCluster(7)
        .parallelOutboundMigrationsPerNode(3)
        .bandwidthPerMigration(Quantity.parse("1.5Gi"))
        .completionTimeoutPerGiB(Duration.ofSeconds(321))
        .progressTimeout(Duration.ofSeconds(151))
        .disableTLS(true)
        .nodeDrainTaintKey("example.com/drain")
        .allowAutoConverge(true)
        .allowPostCopy(true)
        .unsafeMigrationOverride(true)
        .network("migration-net")
        .build();
  }

  /** A record for a newly admitted migration {@code name} of {@code vmi}, with a fresh uid. */
  public static MigrationRecord admitted(String name, VirtualMachineInstance vmi, int priority) {
    MigrationState state =
        MigrationState.builder()
            .migrationUid(UUID.randomUUID().toString())
            .phase(MigrationPhase.PENDING)
            .sourceNode(vmi.nodeName())
            .migrationConfig(configuration())
            .migrationPolicyName("policy-" + name)
            .build();
    return MigrationRecord.admitted(
        VirtualMachineInstanceMigration.builder()
            .name(name)
            .namespace(vmi.namespace())
            .vmiName(vmi.name())
            .build(),
        vmi,
        MigrationMethod.LIVE_MIGRATION,
        configuration(),
        state,
        priority);
  }

  /** Admits {@code name} of a VMI {@code vmiName} on {@code node}, at the VMI's generation. */
  public static MigrationRecord admit(
      MigrationStore store, String name, String vmiName, String node, int priority) {
    long generation = store.vmiSlot("default", vmiName).generation();
    return store.admit(admitted(name, vmi(vmiName, node), priority), generation);
  }

  /** {@code record} running, with a target, ports and a progress sample. */
  public static MigrationRecord running(MigrationRecord record, long remaining) {
    MigrationState state =
        MigrationState.builder()
            .from(record.state())
            .phase(MigrationPhase.RUNNING)
            .mode(MigrationMode.PRE_COPY)
            .startTimestamp(Instant.parse("2026-01-02T03:04:05.123456Z"))
            .targetNode("node-target")
            .targetNodeAddress("10.0.0.2")
            .targetPod("virt-launcher-" + record.request().vmiName())
            .putTargetDirectMigrationNodePorts(49152, 49152)
            .putTargetDirectMigrationNodePorts(40000, 0)
            .progress(
                ProgressSample.builder()
                    .elapsed(Duration.ofMillis(12_345))
                    .dataTotal(1L << 31)
                    .dataProcessed((1L << 31) - remaining)
                    .dataRemaining(remaining)
                    .dirtyRate(50L << 20)
                    .transferRate(1L << 30)
                    .iteration(3)
                    .throttlePercent(20)
                    .build())
            .build();
    return record.withState(state).withResumeData(Map.of("job", "42", "source", "qemu+tls://a"));
  }

  /** {@code record} ended: succeeded or failed, with its end time. */
  public static MigrationRecord ended(MigrationRecord record, boolean succeeded) {
    MigrationState state =
        MigrationState.builder()
            .from(record.state())
            .phase(succeeded ? MigrationPhase.SUCCEEDED : MigrationPhase.FAILED)
            .completed(true)
            .failed(!succeeded)
            .endTimestamp(Instant.now().truncatedTo(ChronoUnit.MICROS))
            .build();
    if (!succeeded) {
      state = MigrationState.builder().from(state).failureReason("cancelled by the test").build();
    }
    return record.withState(state);
  }
}
