package dev.livemigration.api.manifest;

import static dev.livemigration.api.manifest.Converters.checked;
import static dev.livemigration.api.manifest.Converters.enumeration;
import static dev.livemigration.api.manifest.Converters.list;
import static dev.livemigration.api.manifest.Converters.quantity;
import static dev.livemigration.api.manifest.Converters.string;
import static dev.livemigration.api.manifest.Maps.map;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import dev.livemigration.api.manifest.Maps.Sub;
import dev.livemigration.api.manifest.Section.Bound;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@code PersistentVolumeClaim} manifests: the namespace, name, access modes and size of the
 * claims that VMIs' volumes name.
 */
final class ClaimReader {
  private ClaimReader() {}

  /** A claim being read. */
  private static final class ClaimDraft {
    String namespace = VirtualMachineInstanceMigration.DEFAULT_NAMESPACE;
    String name = "probe";
    Set<AccessMode> accessModes = Set.of();
    Quantity size = Quantity.ZERO;

    PersistentVolumeClaim build() {
      return new PersistentVolumeClaim(namespace, name, accessModes, size);
    }
  }

  /** Checks a size against the model's rule for volume sizes. */
  private static void checkSize(Quantity size) {
    Volume.builder().name("probe").type(VolumeType.EMPTY_DISK).size(size).build();
  }

  private static final Section<ClaimDraft> CLAIM_METADATA =
      Section.<ClaimDraft>lenient(ClaimDraft::new, ClaimDraft::build)
          .required("name", string(), (d, v) -> d.name = v)
          .field(
              "namespace",
              checked(
                  string(),
                  namespace -> InstanceReader.probeInstance().namespace(namespace).build()),
              (d, v) -> d.namespace = v);

  private static final Section<ClaimDraft> CLAIM_SPEC =
      Section.<ClaimDraft>lenient(ClaimDraft::new, ClaimDraft::build)
          .field(
              "accessModes",
              list(enumeration(AccessMode.class)),
              (d, v) -> d.accessModes = Set.copyOf(v));

  private static final Section<ClaimDraft> CLAIM_REQUESTS =
      Section.<ClaimDraft>lenient(ClaimDraft::new, ClaimDraft::build)
          .field("storage", checked(quantity(), ClaimReader::checkSize), (d, v) -> d.size = v);

  /**
   * Reads a {@code PersistentVolumeClaim} document: {@code metadata}, {@code spec.accessModes} and
   * {@code spec.resources.requests.storage}.
   */
  static Optional<PersistentVolumeClaim> claim(Sub document, Problems problems) {
    int before = problems.count();
    List<Bound<ClaimDraft>> values = new ArrayList<>();
    map(document, "metadata", problems)
        .ifPresent(
            m -> values.addAll(CLAIM_METADATA.read(m.mapping(), m.path(), problems).values()));
    Optional<Sub> spec = map(document, "spec", problems);
    spec.ifPresent(s -> values.addAll(CLAIM_SPEC.read(s.mapping(), s.path(), problems).values()));
    spec.flatMap(s -> map(s, "resources", problems))
        .flatMap(r -> map(r, "requests", problems))
        .ifPresent(
            r -> values.addAll(CLAIM_REQUESTS.read(r.mapping(), r.path(), problems).values()));
    return Section.build(new ClaimDraft(), ClaimDraft::build, values, "", problems, before);
  }
}
