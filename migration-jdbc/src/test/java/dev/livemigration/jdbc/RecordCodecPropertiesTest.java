package dev.livemigration.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.MigrationPriority;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.PortRange;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import dev.livemigration.testkit.MigrationArbitraries;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Every VMI and request the model can hold reads back equal from the store's JSON: binding plugins,
 * port ranges, resource claim networks, annotations, every volume type with its access modes and
 * size, a request's priority and added node selector.
 */
@Label("The JSON of a record keeps every field of a VMI and of a request")
class RecordCodecPropertiesTest {

  @Property(tries = 300)
  @Label("any VMI of the model reads back equal")
  void vmis(@ForAll("vmis") VirtualMachineInstance vmi) {
    assertThat(RecordCodec.vmi(RecordCodec.parse(RecordCodec.json(RecordCodec.vmi(vmi)))))
        .isEqualTo(vmi);
  }

  @Property(tries = 100)
  @Label("the testkit's VMIs read back equal")
  void testkitVmis(@ForAll("testkitVmis") VirtualMachineInstance vmi) {
    assertThat(RecordCodec.vmi(RecordCodec.parse(RecordCodec.json(RecordCodec.vmi(vmi)))))
        .isEqualTo(vmi);
  }

  @Property(tries = 200)
  @Label("any request reads back equal")
  void requests(@ForAll("requests") VirtualMachineInstanceMigration request) {
    assertThat(
            RecordCodec.request(RecordCodec.parse(RecordCodec.json(RecordCodec.request(request)))))
        .isEqualTo(request);
  }

  @Provide
  Arbitrary<VirtualMachineInstance> testkitVmis() {
    return MigrationArbitraries.vmis();
  }

  @Provide
  Arbitrary<VirtualMachineInstanceMigration> requests() {
    return Builders.withBuilder(
            () -> VirtualMachineInstanceMigration.builder().name("mig-1").vmiName("vmi-1"))
        .use(names())
        .in((b, v) -> b.name(v))
        .use(names())
        .withProbability(0.5)
        .in((b, v) -> b.namespace(v))
        .use(Arbitraries.of(MigrationPriority.values()))
        .withProbability(0.5)
        .in((b, v) -> b.priority(v))
        .use(MigrationArbitraries.labels())
        .withProbability(0.5)
        .in((b, v) -> b.addedNodeSelector(v))
        .build(VirtualMachineInstanceMigration.Builder::build);
  }

  @Provide
  Arbitrary<VirtualMachineInstance> vmis() {
    return Combinators.combine(
            names(),
            names(),
            Arbitraries.longs().between(1, 1L << 20),
            volumes(),
            interfaces(),
            MigrationArbitraries.labels(),
            Arbitraries.of(true, false))
        .as(
            (name, namespace, memoryKib, volumes, interfaces, labels, bridgeAllowed) -> {
              VirtualMachineInstance.Builder b =
                  VirtualMachineInstance.builder()
                      .name(name)
                      .namespace(namespace)
                      .nodeName("node01")
                      .memory(Quantity.parse(memoryKib + "Ki"))
                      .labels(labels)
                      .volumes(volumes)
                      .interfaces(interfaces);
              if (bridgeAllowed) {
                b.putAnnotations(VirtualMachineInstance.ALLOW_POD_BRIDGE_MIGRATION, "");
              }
              return b.build();
            });
  }

  private static Arbitrary<String> names() {
    return Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8);
  }

  private static Arbitrary<List<Volume>> volumes() {
    Arbitrary<Volume> volume =
        Combinators.combine(
                names(),
                Arbitraries.of(VolumeType.values()),
                Arbitraries.subsetOf(AccessMode.values()),
                Arbitraries.longs().between(0, 1L << 40),
                Arbitraries.of(true, false))
            .as(
                (name, type, modes, bytes, shared) ->
                    Volume.builder()
                        .name(name)
                        .type(type)
                        .accessModes(type.isClaim() ? modes : Set.of())
                        .size(Quantity.ofBytes(bytes))
                        .markedShared(type == VolumeType.HOST_DISK && shared)
                        .build());
    return volume.list().ofMaxSize(5).uniqueElements(Volume::name);
  }

  private static Arbitrary<List<NetworkInterface>> interfaces() {
    Arbitrary<PortRange> range =
        Arbitraries.integers()
            .between(1, 65535)
            .flatMap(
                start ->
                    Arbitraries.integers().between(start, 65535).map(e -> new PortRange(start, e)));
    Arbitrary<NetworkInterface> nic =
        Combinators.combine(
                names(),
                Arbitraries.of(InterfaceBinding.values()),
                Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(1, 65535).list().ofMaxSize(3).uniqueElements(),
                range.list().ofMaxSize(2),
                names(),
                Arbitraries.of(true, false))
            .as(
                (name, binding, network, ports, ranges, other, withRequest) -> {
                  NetworkInterface.Builder b =
                      NetworkInterface.builder()
                          .name(name)
                          .binding(binding)
                          .ports(ports)
                          .portRanges(ranges)
                          .podNetwork(network == 0);
                  if (binding == InterfaceBinding.PLUGIN) {
                    b.bindingPlugin(other);
                  }
                  if (network == 2) {
                    b.resourceClaimName("claim-" + other);
                    if (withRequest) {
                      b.resourceClaimRequestName("req-" + other);
                    }
                  }
                  return b.build();
                });
    return nic.list().ofMaxSize(3).uniqueElements(NetworkInterface::name);
  }
}
