package dev.livemigration.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationPriority;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.PortRange;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import dev.livemigration.testkit.tck.StoreRecords;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The JSON of a record reads back equal")
class RecordCodecTest {

  @Test
  @DisplayName("for a failed, aborted state with final statistics and every optional field")
  void fullState() {
    MigrationState state =
        MigrationState.builder()
            .migrationUid("uid-1")
            .phase(MigrationPhase.FAILED)
            .mode(MigrationMode.POST_COPY)
            .startTimestamp(Instant.parse("2026-01-02T03:04:05.123456789Z"))
            .endTimestamp(Instant.parse("2026-01-02T03:05:05Z"))
            .completed(true)
            .failed(true)
            .abortRequested(true)
            .abortStatus(AbortStatus.FAILED)
            .failureReason("post-copy: the abort came too late \"quoted\" \u00e9")
            .migrationConfig(MigrationConfiguration.defaults())
            .migrationPolicyName("p")
            .sourceNode("a")
            .targetNode("b")
            .targetNodeAddress("::1")
            .targetNodeDomainDetected(true)
            .targetPod("pod")
            .putTargetDirectMigrationNodePorts(49153, 49153)
            .progress(
                ProgressSample.builder()
                    .status(ProgressSample.Status.COMPLETED)
                    .mode(MigrationMode.POST_COPY)
                    .elapsed(Duration.ofNanos(1_234_567_891))
                    .dataTotal(Long.MAX_VALUE)
                    .downtime(Duration.ofMillis(42))
                    .failureReason("none")
                    .build())
            .build();
    assertThat(RecordCodec.state(RecordCodec.parse(RecordCodec.json(RecordCodec.state(state)))))
        .isEqualTo(state);
  }

  @Test
  @DisplayName("for a bare VMI, a full one and both configurations")
  void vmiAndConfiguration() {
    VirtualMachineInstance bare =
        VirtualMachineInstance.builder()
            .name("bare")
            .nodeName("n")
            .memory(Quantity.parse("1.5G"))
            .build();
    VirtualMachineInstance full = StoreRecords.vmi("full", "node-9");
    for (VirtualMachineInstance vmi : new VirtualMachineInstance[] {bare, full}) {
      VirtualMachineInstance back =
          RecordCodec.vmi(RecordCodec.parse(RecordCodec.json(RecordCodec.vmi(vmi))));
      assertThat(back).isEqualTo(vmi);
      assertThat(back.memory().toString()).isEqualTo(vmi.memory().toString());
    }
    for (MigrationConfiguration c :
        new MigrationConfiguration[] {
          MigrationConfiguration.defaults(),
          StoreRecords.configuration(),
          // Today's KubeVirt fields, which the store must keep too.
          MigrationConfiguration.builder()
              .from(StoreRecords.configuration())
              .maxDowntimeMs(750)
              .allowWorkloadDisruption(true)
              .build()
        }) {
      assertThat(
              RecordCodec.configuration(
                  RecordCodec.parse(RecordCodec.json(RecordCodec.configuration(c)))))
          .isEqualTo(c);
    }
  }

  @Test
  @DisplayName("for a VMI with a binding plugin, port ranges and a resource claim network")
  void todaysVmi() {
    VirtualMachineInstance vmi =
        VirtualMachineInstance.builder()
            .from(StoreRecords.vmi("today", "node-1"))
            .putAnnotations(VirtualMachineInstance.ALLOW_POD_BRIDGE_MIGRATION, "true")
            .addInterfaces(
                NetworkInterface.builder()
                    .name("plugged")
                    .binding(InterfaceBinding.PLUGIN)
                    .bindingPlugin("passt")
                    .podNetwork(false)
                    .addPortRanges(new PortRange(8000, 8100))
                    .build(),
                NetworkInterface.builder()
                    .name("claimed")
                    .binding(InterfaceBinding.SRIOV)
                    .podNetwork(false)
                    .resourceClaimName("sriov-claim")
                    .resourceClaimRequestName("vf")
                    .build())
            .addVolumes(
                Volume.builder()
                    .name("shared-host")
                    .type(VolumeType.HOST_DISK)
                    .markedShared(true)
                    .size(Quantity.parse("3Gi"))
                    .build(),
                Volume.builder()
                    .name("dump")
                    .type(VolumeType.MEMORY_DUMP)
                    .size(Quantity.parse("2Gi"))
                    .build())
            .build();

    VirtualMachineInstance back =
        RecordCodec.vmi(RecordCodec.parse(RecordCodec.json(RecordCodec.vmi(vmi))));

    assertThat(back).isEqualTo(vmi);
    assertThat(back.volumes().get(0).size().toString()).isEqualTo("10Gi");
  }

  @Test
  @DisplayName("for a request with a priority and an added node selector")
  void request() {
    VirtualMachineInstanceMigration request =
        VirtualMachineInstanceMigration.builder()
            .name("m")
            .namespace("prod")
            .vmiName("v")
            .priority(MigrationPriority.SYSTEM_CRITICAL)
            .putAddedNodeSelector("zone", "b")
            .build();
    assertThat(
            RecordCodec.request(RecordCodec.parse(RecordCodec.json(RecordCodec.request(request)))))
        .isEqualTo(request);
  }

  @Test
  @DisplayName("for rows written before the VMI and the request were manifests")
  void legacyRows() {
    assertThat(
            RecordCodec.request(
                RecordCodec.parse("{\"name\":\"m\",\"namespace\":\"prod\",\"vmiName\":\"v\"}")))
        .isEqualTo(
            VirtualMachineInstanceMigration.builder()
                .name("m")
                .namespace("prod")
                .vmiName("v")
                .build());
    String legacy =
        "{\"namespace\":\"default\",\"name\":\"old\",\"nodeName\":\"n\",\"labels\":{\"a\":\"b\"},"
            + "\"memory\":\"1Gi\",\"volumes\":[{\"name\":\"root\",\"type\":\"PERSISTENT_VOLUME_CLAIM\","
            + "\"accessModes\":[\"READ_WRITE_MANY\"],\"size\":\"10Gi\"}],\"interfaces\":[{\"name\":"
            + "\"default\",\"binding\":\"MASQUERADE\",\"podNetwork\":true,\"ports\":[22]}]}";
    VirtualMachineInstance old = RecordCodec.vmi(RecordCodec.parse(legacy));
    assertThat(old.volumes().get(0).accessModes()).containsExactly(AccessMode.READ_WRITE_MANY);
    assertThat(old.interfaces().get(0).ports()).containsExactly(22);
    assertThat(old.labels()).containsEntry("a", "b");
  }
}
