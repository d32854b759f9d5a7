package dev.livemigration.api.manifest;

import static dev.livemigration.api.manifest.Converters.checked;
import static dev.livemigration.api.manifest.Converters.enumeration;
import static dev.livemigration.api.manifest.Converters.int64;
import static dev.livemigration.api.manifest.Converters.list;
import static dev.livemigration.api.manifest.Converters.quantity;
import static dev.livemigration.api.manifest.Converters.string;
import static dev.livemigration.api.manifest.Maps.nested;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads a VMI's {@code status.volumeStatus}: what KubeVirt found out about each volume, of which a
 * migration needs the access modes of the claim behind it ({@code persistentVolumeClaimInfo}) and
 * its size ({@code persistentVolumeClaimInfo.capacity.storage}, else {@code .requests.storage},
 * else {@code size} in bytes). The other keys (target, phase, hotplug, memory dump and container
 * disk details) are ignored.
 */
final class VolumeStatusReader {
  private VolumeStatusReader() {}

  /**
   * What {@code status.volumeStatus} says of one volume.
   *
   * @param name the volume's name
   * @param accessModes the access modes of its claim, if the status gives them
   * @param size its size, if the status gives one
   */
  record VolumeStatus(String name, @Nullable Set<AccessMode> accessModes, @Nullable Quantity size) {
    /** Returns {@code volume} with the access modes and size it lacks and this status gives. */
    Volume fill(Volume volume) {
      Volume.Builder filled = Volume.builder().from(volume);
      if (volume.accessModes().isEmpty() && accessModes != null) {
        filled.accessModes(accessModes);
      }
      if (volume.size().isZero() && size != null) {
        filled.size(size);
      }
      return filled.build();
    }
  }

  private static final class Draft {
    String name = "probe";
    @Nullable Set<AccessMode> accessModes;
    @Nullable Quantity capacity;
    @Nullable Quantity requested;
    @Nullable Quantity size;

    VolumeStatus build() {
      return new VolumeStatus(
          name, accessModes, capacity != null ? capacity : requested != null ? requested : size);
    }
  }

  /** Checks a size against the model's rule for volume sizes. */
  private static void checkSize(Quantity size) {
    Volume.builder().name("probe").type(VolumeType.EMPTY_DISK).size(size).build();
  }

  private static final Section<Draft> CAPACITY =
      Section.<Draft>lenient(Draft::new, Draft::build)
          .field(
              "storage",
              checked(quantity(), VolumeStatusReader::checkSize),
              (d, v) -> d.capacity = v);

  private static final Section<Draft> REQUESTS =
      Section.<Draft>lenient(Draft::new, Draft::build)
          .field(
              "storage",
              checked(quantity(), VolumeStatusReader::checkSize),
              (d, v) -> d.requested = v);

  private static final Section<Draft> CLAIM_INFO =
      Section.<Draft>lenient(Draft::new, Draft::build)
          .field(
              "accessModes",
              list(enumeration(AccessMode.class)),
              (d, v) -> d.accessModes = Set.copyOf(v))
          .field(
              "capacity",
              (node, path, problems) -> nested(CAPACITY, node, path, problems),
              (d, settings) -> settings.forEach(s -> s.setter().accept(d)))
          .field(
              "requests",
              (node, path, problems) -> nested(REQUESTS, node, path, problems),
              (d, settings) -> settings.forEach(s -> s.setter().accept(d)));

  private static final Section<Draft> ENTRY =
      Section.<Draft>lenient(Draft::new, Draft::build)
          .required("name", string(), (d, v) -> d.name = v)
          .field(
              "size",
              checked(
                  int64(),
                  bytes -> {
                    if (bytes < 0) {
                      throw new InvalidValueException(
                          "size", "must be a number of bytes, 0 or more", String.valueOf(bytes));
                    }
                  }),
              (d, v) -> d.size = Quantity.ofBytes(v))
          .field(
              "persistentVolumeClaimInfo",
              (node, path, problems) -> nested(CLAIM_INFO, node, path, problems),
              (d, settings) -> settings.forEach(s -> s.setter().accept(d)));

  /** The converter of {@code status.volumeStatus}: a list of volume statuses. */
  static Converter<java.util.List<VolumeStatus>> volumeStatuses() {
    return list(VolumeStatusReader::entry);
  }

  private static Optional<VolumeStatus> entry(Tree node, String path, Problems problems) {
    return nested(ENTRY, node, path, problems)
        .flatMap(
            values ->
                Section.build(new Draft(), Draft::build, values, path, problems, problems.count()));
  }
}
