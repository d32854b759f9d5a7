package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Round trips of generated VMIs and claims, and robustness of reading VMIs against any edit. */
class InstanceManifestProperties {
  /** The arbitraries of the other manifests' properties, shared rather than written again. */
  private final ManifestProperties values = new ManifestProperties();

  // ---------------------------------------------------------------- round trips

  @Property(tries = 500)
  @Label("a VMI whose claims have no access modes survives YAML and JSON alone")
  void instanceRoundTrips(@ForAll("instancesWithoutClaims") VirtualMachineInstance vmi) {
    String yaml = Manifests.toYaml(vmi);
    assertThat(Manifests.read(yaml)).as("YAML:\n%s", yaml).isEqualTo(vmi);
    String json = Manifests.toJson(vmi);
    assertThat(Manifests.read(json, VirtualMachineInstance.class))
        .as("JSON:\n%s", json)
        .isEqualTo(vmi);
    assertThat(Manifests.readVirtualMachineInstances(yaml)).containsExactly(vmi);
  }

  @Property(tries = 300)
  @Label("the VMIs of a cluster, with their claims, survive multi-document YAML and JSON")
  void clusterRoundTrips(@ForAll("clusters") List<VirtualMachineInstance> vmis) {
    String yaml = Manifests.toYaml(vmis);
    assertThat(Manifests.readVirtualMachineInstances(yaml))
        .as("YAML:\n%s", yaml)
        .containsExactlyElementsOf(vmis);
    String json = Manifests.toJson(vmis);
    assertThat(Manifests.readVirtualMachineInstances(json))
        .as("JSON:\n%s", json)
        .containsExactlyElementsOf(vmis);
  }

  @Property
  @Label("a PersistentVolumeClaim survives YAML and JSON")
  void claimRoundTrips(@ForAll("claims") PersistentVolumeClaim claim) {
    assertThat(Manifests.read(Manifests.toYaml(claim))).isEqualTo(claim);
    assertThat(Manifests.read(Manifests.toJson(claim), PersistentVolumeClaim.class))
        .isEqualTo(claim);
  }

  // ---------------------------------------------------------------- robustness

  @Property(tries = 1500)
  @Label("any edit of a VMI or its claims is read or rejected with a ManifestException only")
  void mutatedInstancesFailCleanly(
      @ForAll("snippets") String snippet,
      @ForAll("mutations") List<ManifestProperties.Mutation> mutations) {
    String text = snippet;
    for (ManifestProperties.Mutation mutation : mutations) {
      text = mutation.apply(text);
    }
    String edited = text;
    assertFailsCleanly(edited, () -> Manifests.read(edited, VirtualMachineInstance.class));
    assertFailsCleanly(edited, () -> Manifests.readAll(edited));
    assertFailsCleanly(edited, () -> Manifests.readVirtualMachineInstances(edited));
  }

  private static void assertFailsCleanly(String text, Supplier<?> read) {
    Throwable thrown = catchThrowable(read::get);
    if (thrown != null) {
      assertThat(thrown).as("reading:\n%s", text).isExactlyInstanceOf(ManifestException.class);
      ((ManifestException) thrown)
          .problems()
          .forEach(p -> assertThat(p.message()).doesNotContain("\n"));
    }
  }

  @Provide
  Arbitrary<String> snippets() {
    return Arbitraries.of(InstanceSnippets.FEDORA, InstanceSnippets.DATABASE);
  }

  @Provide
  Arbitrary<List<ManifestProperties.Mutation>> mutations() {
    return values.mutations();
  }

  // ---------------------------------------------------------------- value arbitraries

  @Provide
  Arbitrary<VirtualMachineInstance> instancesWithoutClaims() {
    return instances(values.dnsNames(), volumes(Arbitraries.just(Set.of())));
  }

  /**
   * VMIs with claims of any access modes, unique by namespace and name; their names have no {@code
   * -}, so that the claims written for them, {@code <vmi>-<volume>}, are all different.
   */
  @Provide
  Arbitrary<List<VirtualMachineInstance>> clusters() {
    Arbitrary<String> names =
        Arbitraries.strings().withCharRange('a', 'z').numeric().ofMinLength(1).ofMaxLength(12);
    Arbitrary<Set<AccessMode>> modes = Arbitraries.subsetOf(AccessMode.values());
    return instances(names, volumes(modes))
        .list()
        .ofMaxSize(4)
        .uniqueElements(vmi -> vmi.namespace() + "/" + vmi.name());
  }

  @Provide
  Arbitrary<PersistentVolumeClaim> claims() {
    return Combinators.combine(
            namespaces(),
            values.nonBlankText(),
            Arbitraries.subsetOf(AccessMode.values()),
            values.bandwidths())
        .as(PersistentVolumeClaim::new);
  }

  private Arbitrary<String> namespaces() {
    return Arbitraries.oneOf(
        Arbitraries.just("default"), values.dnsLabels().filter(l -> l.length() <= 63));
  }

  private Arbitrary<VirtualMachineInstance> instances(
      Arbitrary<String> names, Arbitrary<List<Volume>> volumes) {
    return Builders.withBuilder(VirtualMachineInstance::builder)
        .use(names)
        .in((b, v) -> b.name(v))
        .use(namespaces())
        .withProbability(0.6)
        .in((b, v) -> b.namespace(v))
        .use(values.nonBlankText())
        .in((b, v) -> b.nodeName(v))
        .use(values.labels())
        .in((b, v) -> b.labels(v))
        .use(values.bandwidths())
        .in((b, v) -> b.memory(v))
        .use(volumes)
        .in((b, v) -> b.volumes(v))
        .use(interfaces())
        .in((b, v) -> b.interfaces(v))
        .build(VirtualMachineInstance.Builder::build);
  }

  /**
   * Volumes with unique names; claims with {@code modes}, local disks with a size, and the other
   * volumes, whose size a manifest does not carry, without.
   */
  private Arbitrary<List<Volume>> volumes(Arbitrary<Set<AccessMode>> modes) {
    Arbitrary<Volume> volume =
        Combinators.combine(
                values.nonBlankText(), Arbitraries.of(VolumeType.class), modes, values.bandwidths())
            .as(
                (name, type, accessModes, size) ->
                    Volume.builder()
                        .name(name)
                        .type(type)
                        .accessModes(type.isClaim() ? accessModes : Set.of())
                        .size(
                            type == VolumeType.EMPTY_DISK || type == VolumeType.HOST_DISK
                                ? size
                                : Quantity.ZERO)
                        .build());
    return volume.list().ofMaxSize(5).uniqueElements(Volume::name);
  }

  private Arbitrary<List<NetworkInterface>> interfaces() {
    Arbitrary<NetworkInterface> networkInterface =
        Combinators.combine(
                values.nonBlankText(),
                Arbitraries.of(InterfaceBinding.class),
                Arbitraries.of(true, false),
                Arbitraries.integers().between(0, 65535).list().ofMaxSize(3))
            .as(
                (name, binding, pod, ports) ->
                    NetworkInterface.builder()
                        .name(name)
                        .binding(binding)
                        .bindingPlugin(
                            Optional.ofNullable(
                                binding == InterfaceBinding.PLUGIN ? "plugin-" + name : null))
                        .podNetwork(pod)
                        .ports(ports)
                        .build());
    return networkInterface.list().ofMaxSize(3).uniqueElements(NetworkInterface::name);
  }
}
