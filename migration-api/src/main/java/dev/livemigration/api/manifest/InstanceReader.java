package dev.livemigration.api.manifest;

import static dev.livemigration.api.manifest.Converters.mapping;
import static dev.livemigration.api.manifest.Converters.quantity;
import static dev.livemigration.api.manifest.Converters.string;
import static dev.livemigration.api.manifest.Converters.stringMap;
import static dev.livemigration.api.manifest.Maps.map;
import static dev.livemigration.api.manifest.Maps.nested;
import static dev.livemigration.api.manifest.NamedItems.itemNames;
import static dev.livemigration.api.manifest.NamedItems.nameEntry;
import static dev.livemigration.api.manifest.NamedItems.nameText;
import static dev.livemigration.api.manifest.NamedItems.named;

import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.Volume;
import dev.livemigration.api.manifest.Maps.Sub;
import dev.livemigration.api.manifest.Section.Bound;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Reads {@code VirtualMachineInstance} and {@code PersistentVolumeClaim} manifests: where a running
 * VMI is, its memory, and the volumes and interfaces that decide whether and how it can migrate.
 *
 * <p>A VMI has many fields this library does not model ({@code domain.cpu}, {@code devices.disks},
 * ...); they are ignored. The maps whose keys change the meaning of a VMI are strict: a volume (its
 * source), an interface (its binding), a network (pod or Multus) and a host disk (its capacity);
 * there an unknown key, such as a misspelt source, is a problem.
 */
final class InstanceReader {
  private InstanceReader() {}

  /**
   * A VMI as read, and the claim that each of its claim volumes names: {@code
   * persistentVolumeClaim.claimName}, or the name of a {@code dataVolume} (whose claim has its
   * name). The claims' access modes are not known until the claims are resolved.
   *
   * @param unresolved the VMI, its claim volumes without access modes
   * @param claimNames the claim's name by the name of the volume
   */
  record ReadInstance(VirtualMachineInstance unresolved, Map<String, String> claimNames) {
    ReadInstance {
      claimNames = Map.copyOf(claimNames);
    }

    /**
     * Returns the VMI with the access modes of the claims, among {@code claims}, that its volumes
     * name in its namespace; a volume whose claim is not among them keeps no access modes.
     */
    VirtualMachineInstance resolve(Map<ObjectKey, PersistentVolumeClaim> claims) {
      if (claimNames.isEmpty()) {
        return unresolved;
      }
      List<Volume> volumes = new ArrayList<>();
      for (Volume volume : unresolved.volumes()) {
        String claimName = claimNames.get(volume.name());
        PersistentVolumeClaim claim =
            claimName == null ? null : claims.get(new ObjectKey(unresolved.namespace(), claimName));
        volumes.add(
            claim == null
                ? volume
                : Volume.builder().from(volume).accessModes(claim.accessModes()).build());
      }
      return VirtualMachineInstance.builder().from(unresolved).volumes(volumes).build();
    }
  }

  /** Where a VMI or a claim is: its namespace and name. */
  record ObjectKey(String namespace, String name) {}

  /** A network being read: its name, and whether it is the pod network. */
  private static final class NetworkDraft {
    String name = "probe";
    boolean pod;
    @Nullable String claimName;
    @Nullable String requestName;

    ReadNetwork build() {
      return new ReadNetwork(name, pod, claimName, requestName);
    }
  }

  /** A network of {@code spec.networks} as read; a resource claim network names its claim. */
  private record ReadNetwork(
      String name, boolean pod, @Nullable String claimName, @Nullable String requestName) {}

  /** A network's {@code resourceClaim}: the VMI's claim entry and its request. */
  private static final Section<NetworkDraft> RESOURCE_CLAIM =
      Section.<NetworkDraft>strict(NetworkDraft::new, NetworkDraft::build)
          .required("claimName", string(), (d, v) -> d.claimName = v)
          .field("requestName", string(), (d, v) -> d.requestName = v);

  static VirtualMachineInstance.Builder probeInstance() {
    return VirtualMachineInstance.builder().name("probe").nodeName("probe").memory(Quantity.ZERO);
  }

  // ---------------------------------------------------------------- interfaces and networks

  /** Strict: a misspelt {@code pod} would silently take the interface off the pod network. */
  private static final Section<NetworkDraft> NETWORK =
      Section.<NetworkDraft>strict(NetworkDraft::new, NetworkDraft::build)
          .required("name", string(), (d, v) -> d.name = v)
          .field("pod", mapping(), (d, v) -> d.pod = true)
          .field("multus", mapping(), (d, v) -> d.pod = false)
          .field(
              "resourceClaim",
              (node, path, problems) -> nested(RESOURCE_CLAIM, node, path, problems),
              (d, settings) -> {
                d.pod = false;
                settings.forEach(s -> s.setter().accept(d));
              });

  private static final List<String> NETWORK_KEYS = List.of("pod", "multus", "resourceClaim");

  // ---------------------------------------------------------------- the VMI

  private static final Section<VirtualMachineInstance.Builder> METADATA =
      Section.<VirtualMachineInstance.Builder>lenient(
              InstanceReader::probeInstance, VirtualMachineInstance.Builder::build)
          .required("name", string(), VirtualMachineInstance.Builder::name)
          .field("namespace", string(), VirtualMachineInstance.Builder::namespace)
          .field(
              "labels",
              stringMap("labels", (key, value) -> probeInstance().putLabels(key, value).build()),
              VirtualMachineInstance.Builder::labels)
          .field(
              "annotations",
              stringMap(
                  "annotations",
                  (key, value) -> probeInstance().putAnnotations(key, value).build()),
              VirtualMachineInstance.Builder::annotations);

  private static final Section<VirtualMachineInstance.Builder> STATUS =
      Section.<VirtualMachineInstance.Builder>lenient(
              InstanceReader::probeInstance, VirtualMachineInstance.Builder::build)
          .required(
              "nodeName",
              "the VMI must be running: only a VMI scheduled to a node can migrate",
              string(),
              VirtualMachineInstance.Builder::nodeName)
          .field("volumeStatus", VolumeStatusReader.volumeStatuses(), (b, v) -> {});

  private static final Section<VirtualMachineInstance.Builder> GUEST_MEMORY =
      Section.<VirtualMachineInstance.Builder>lenient(
              InstanceReader::probeInstance, VirtualMachineInstance.Builder::build)
          .field("guest", quantity(), VirtualMachineInstance.Builder::memory);

  private static final Section<VirtualMachineInstance.Builder> REQUESTS =
      Section.<VirtualMachineInstance.Builder>lenient(
              InstanceReader::probeInstance, VirtualMachineInstance.Builder::build)
          .field("memory", quantity(), VirtualMachineInstance.Builder::memory);

  /** The VMI's volumes and networks; the networks are matched to the interfaces afterwards. */
  private static final Section<VirtualMachineInstance.Builder> SPEC =
      Section.<VirtualMachineInstance.Builder>lenient(
              InstanceReader::probeInstance, VirtualMachineInstance.Builder::build)
          .field(
              "volumes",
              named(VolumeReader::volume),
              (b, volumes) ->
                  b.volumes(volumes.stream().map(VolumeReader.ReadVolume::volume).toList()))
          .field("networks", named(InstanceReader::network), (b, v) -> {});

  /** The VMI's interfaces, set once they are matched to their networks. */
  private static final Section<VirtualMachineInstance.Builder> DEVICES =
      Section.<VirtualMachineInstance.Builder>lenient(
              InstanceReader::probeInstance, VirtualMachineInstance.Builder::build)
          .field("interfaces", named(InterfaceReader::networkInterface), (b, v) -> {});

  /** Reads a {@code PersistentVolumeClaim} document; see {@link ClaimReader#claim}. */
  static Optional<PersistentVolumeClaim> claim(Sub document, Problems problems) {
    return ClaimReader.claim(document, problems);
  }

  /**
   * Reads a {@code VirtualMachineInstance} document: {@code metadata}, the guest's memory, the
   * volumes, the interfaces matched to their networks and {@code status.nodeName}.
   */
  static Optional<ReadInstance> instance(Sub document, Problems problems) {
    int before = problems.count();
    List<Bound<VirtualMachineInstance.Builder>> values = new ArrayList<>();
    map(document, "metadata", problems)
        .ifPresent(m -> values.addAll(METADATA.read(m.mapping(), m.path(), problems).values()));
    Map<String, String> claimNames = new LinkedHashMap<>();
    map(document, "spec", problems)
        .ifPresent(
            spec -> {
              Optional<Sub> domain = map(spec, "domain", problems);
              domain.flatMap(d -> memory(d, problems)).ifPresent(values::add);
              Optional<Sub> devices = domain.flatMap(d -> map(d, "devices", problems));
              Bound<VirtualMachineInstance.Builder> interfaces =
                  devices
                      .map(d -> DEVICES.read(d.mapping(), d.path(), problems).get("interfaces"))
                      .orElse(null);
              Map<String, Bound<VirtualMachineInstance.Builder>> specValues =
                  SPEC.read(spec.mapping(), spec.path(), problems);
              Bound<VirtualMachineInstance.Builder> volumes = specValues.get("volumes");
              if (volumes != null) {
                values.add(volumes);
                for (VolumeReader.ReadVolume volume :
                    InstanceReader.<VolumeReader.ReadVolume>items(volumes)) {
                  if (volume.claimName() != null && volume.volume().type().isClaim()) {
                    claimNames.put(volume.volume().name(), volume.claimName());
                  }
                }
              }
              devices
                  .flatMap(
                      d -> onNetworks(d, interfaces, spec, specValues.get("networks"), problems))
                  .ifPresent(values::add);
            });
    List<VolumeStatusReader.VolumeStatus> volumeStatuses = new ArrayList<>();
    map(document, "status", problems)
        .ifPresent(
            s -> {
              Map<String, Bound<VirtualMachineInstance.Builder>> statusValues =
                  STATUS.read(s.mapping(), s.path(), problems);
              values.addAll(statusValues.values());
              Bound<VirtualMachineInstance.Builder> read = statusValues.get("volumeStatus");
              if (read != null) {
                volumeStatuses.addAll(InstanceReader.<VolumeStatusReader.VolumeStatus>items(read));
              }
            });
    return Section.build(
            VirtualMachineInstance.builder(),
            VirtualMachineInstance.Builder::build,
            values,
            "",
            problems,
            before)
        .map(vmi -> new ReadInstance(withStatuses(vmi, volumeStatuses), claimNames));
  }

  /**
   * Returns {@code vmi} with the access modes and sizes that {@code status.volumeStatus} gives for
   * volumes whose spec does not; a claim document read with the VMI still decides a claim's access
   * modes.
   */
  private static VirtualMachineInstance withStatuses(
      VirtualMachineInstance vmi, List<VolumeStatusReader.VolumeStatus> statuses) {
    if (statuses.isEmpty()) {
      return vmi;
    }
    Map<String, VolumeStatusReader.VolumeStatus> byName = new LinkedHashMap<>();
    statuses.forEach(s -> byName.putIfAbsent(s.name(), s));
    List<Volume> volumes = new ArrayList<>();
    for (Volume volume : vmi.volumes()) {
      VolumeStatusReader.VolumeStatus status = byName.get(volume.name());
      volumes.add(status == null ? volume : status.fill(volume));
    }
    return VirtualMachineInstance.builder().from(vmi).volumes(volumes).build();
  }

  /**
   * The guest's memory: {@code domain.memory.guest}, else {@code domain.resources.requests.memory};
   * a problem if neither is given.
   */
  private static Optional<Bound<VirtualMachineInstance.Builder>> memory(
      Sub domain, Problems problems) {
    int before = problems.count();
    Optional<Bound<VirtualMachineInstance.Builder>> guest =
        map(domain, "memory", problems)
            .map(m -> GUEST_MEMORY.read(m.mapping(), m.path(), problems).get("guest"));
    Optional<Bound<VirtualMachineInstance.Builder>> requested =
        map(domain, "resources", problems)
            .flatMap(r -> map(r, "requests", problems))
            .map(r -> REQUESTS.read(r.mapping(), r.path(), problems).get("memory"));
    if (guest.isEmpty() && requested.isEmpty() && problems.count() == before) {
      problems.missing(
          Problems.child(Problems.child(domain.path(), "memory"), "guest"),
          "the guest's memory may instead be given as "
              + Problems.child(domain.path(), "resources.requests.memory"));
    }
    return guest.or(() -> requested);
  }

  /**
   * Checks that each interface of {@code devices} names a network of {@code spec.networks}, and
   * returns the interfaces {@code read}, each on its network. The check runs on the names as
   * written, whether or not the interfaces and networks have other problems, so that every problem
   * is listed; it is skipped if a network has no readable name (that is a problem already). Empty
   * if any interface or network has a problem.
   */
  private static Optional<Bound<VirtualMachineInstance.Builder>> onNetworks(
      Sub devices,
      @Nullable Bound<VirtualMachineInstance.Builder> read,
      Sub spec,
      @Nullable Bound<VirtualMachineInstance.Builder> networksRead,
      Problems problems) {
    Optional<Tree.Entry> interfacesEntry = devices.mapping().entry("interfaces");
    Optional<Tree.Entry> networksEntry =
        spec.mapping().entry("networks").filter(e -> !Tree.isNull(e.value()));
    String networksPath =
        Problems.child(spec.path(), networksEntry.map(Tree.Entry::key).orElse("networks"));
    List<Optional<String>> networkNames =
        networksEntry.map(e -> itemNames(e.value())).orElse(List.of());
    int before = problems.count();
    if (interfacesEntry.isPresent()
        && interfacesEntry.get().value() instanceof Tree.Sequence interfaces
        && networkNames.stream().allMatch(Optional::isPresent)) {
      List<String> known = networkNames.stream().map(Optional::orElseThrow).distinct().toList();
      String interfacesPath = Problems.child(devices.path(), interfacesEntry.get().key());
      for (int i = 0; i < interfaces.items().size(); i++) {
        Optional<Tree.Entry> name = nameEntry(interfaces.items().get(i));
        Optional<String> text = name.flatMap(n -> nameText(n.value()));
        if (text.isPresent() && !known.contains(text.get())) {
          problems.invalid(
              Problems.child(Problems.index(interfacesPath, i), name.get().key()),
              name.get().value(),
              "must be the name of a network of "
                  + networksPath
                  + (known.isEmpty() ? ", which has none" : " (" + String.join(", ", known) + ")"));
        }
      }
    }
    if (read == null || networksEntry.isPresent() && networksRead == null) {
      return Optional.empty();
    }
    if (problems.count() > before) {
      return Optional.empty();
    }
    Map<String, ReadNetwork> byName = new LinkedHashMap<>();
    if (networksRead != null) {
      InstanceReader.<ReadNetwork>items(networksRead).forEach(n -> byName.put(n.name(), n));
    }
    List<NetworkInterface> matched = new ArrayList<>();
    for (NetworkInterface candidate : InstanceReader.<NetworkInterface>items(read)) {
      ReadNetwork network = byName.get(candidate.name());
      matched.add(
          NetworkInterface.builder()
              .from(candidate)
              .podNetwork(network != null && network.pod())
              .resourceClaimName(Optional.ofNullable(network == null ? null : network.claimName()))
              .resourceClaimRequestName(
                  Optional.ofNullable(network == null ? null : network.requestName()))
              .build());
    }
    return Optional.of(
        new Bound<>("interfaces", read.path(), read.node(), matched, b -> b.interfaces(matched)));
  }

  private static Optional<ReadNetwork> network(Tree node, String path, Problems problems) {
    if (!(node instanceof Tree.Mapping mapping)) {
      problems.invalid(path, node, "must be a map");
      return Optional.empty();
    }
    int before = problems.count();
    Collection<Bound<NetworkDraft>> values = NETWORK.read(mapping, path, problems).values();
    exactlyOne(NETWORK, mapping, path, NETWORK_KEYS, "network source", problems);
    return Section.build(new NetworkDraft(), NetworkDraft::build, values, path, problems, before);
  }

  /**
   * Records a problem unless {@code mapping} has exactly one of the keys {@code names} with a
   * value. Having none is not reported when the map has a key {@code section} does not know: that
   * key, reported already, is most likely the one meant.
   */
  static void exactlyOne(
      Section<?> section,
      Tree.Mapping mapping,
      String path,
      List<String> names,
      String what,
      Problems problems) {
    Set<String> wanted = names.stream().map(Tree::normalize).collect(Collectors.toSet());
    Map<String, String> given = new LinkedHashMap<>();
    for (Tree.Entry entry : mapping.entries()) {
      String key = Tree.normalize(entry.key());
      if (wanted.contains(key) && !Tree.isNull(entry.value())) {
        given.putIfAbsent(key, entry.key());
      }
    }
    if (given.size() == 1
        || given.isEmpty() && mapping.entries().stream().anyMatch(e -> !section.knows(e.key()))) {
      return;
    }
    problems.invalid(
        path,
        mapping,
        "must have exactly one "
            + what
            + " of "
            + String.join(", ", names)
            + "; it has "
            + (given.isEmpty() ? "none" : String.join(" and ", given.values())));
  }

  /** The items of a list read by a converter of {@link NamedItems#named}. */
  @SuppressWarnings("unchecked")
  private static <T> List<T> items(Bound<?> bound) {
    return (List<T>) bound.value();
  }
}
