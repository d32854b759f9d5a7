package dev.livemigration.api.manifest;

import static dev.livemigration.api.manifest.Converters.bool;
import static dev.livemigration.api.manifest.Converters.mapping;
import static dev.livemigration.api.manifest.Converters.quantity;
import static dev.livemigration.api.manifest.Converters.string;
import static dev.livemigration.api.manifest.Maps.nested;

import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import dev.livemigration.api.manifest.Section.Bound;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Reads the volumes of a VMI's {@code spec.volumes}: each has a name and exactly one source, which
 * gives its type, its size where KubeVirt has one and the claim it names.
 */
final class VolumeReader {
  private VolumeReader() {}

  /** A source of a volume: the key it is written under, the type it gives, how it is read. */
  private record SourceKind(String key, VolumeType type, Converter<Source> converter) {}

  /** A volume's source as read: its type, and the fields it sets on the volume. */
  private record Source(VolumeType type, Collection<Bound<VolumeDraft>> settings) {}

  /** A volume being read: the model's builder, and the claim its source names if any. */
  private static final class VolumeDraft {
    final Volume.Builder volume = Volume.builder();
    @Nullable String claimName;

    static VolumeDraft probe() {
      VolumeDraft draft = new VolumeDraft();
      draft.volume.name("probe").type(VolumeType.GENERATED);
      return draft;
    }

    static VolumeDraft hostDiskProbe() {
      VolumeDraft draft = probe();
      draft.volume.type(VolumeType.HOST_DISK);
      return draft;
    }

    ReadVolume build() {
      return new ReadVolume(volume.build(), claimName);
    }
  }

  /** A volume as read, with the claim it names. */
  record ReadVolume(Volume volume, @Nullable String claimName) {}

  private static final Section<VolumeDraft> CLAIM_SOURCE =
      Section.<VolumeDraft>lenient(VolumeDraft::probe, VolumeDraft::build)
          .required("claimName", string(), (d, v) -> d.claimName = v);

  private static final Section<VolumeDraft> DATA_VOLUME_SOURCE =
      Section.<VolumeDraft>lenient(VolumeDraft::probe, VolumeDraft::build)
          .required("name", string(), (d, v) -> d.claimName = v);

  private static final Section<VolumeDraft> EMPTY_DISK_SOURCE =
      Section.<VolumeDraft>lenient(VolumeDraft::probe, VolumeDraft::build)
          .required("capacity", quantity(), (d, v) -> d.volume.size(v));

  /** An ephemeral volume: a claim under {@code persistentVolumeClaim}, with a local layer. */
  private static final Section<VolumeDraft> EPHEMERAL_SOURCE =
      Section.<VolumeDraft>lenient(VolumeDraft::probe, VolumeDraft::build)
          .required(
              "persistentVolumeClaim",
              (node, path, problems) -> nested(CLAIM_SOURCE, node, path, problems),
              (d, settings) -> settings.forEach(setting -> setting.setter().accept(d)));

  /** Strict: a misspelt capacity would silently make the disk free to migrate. */
  private static final Section<VolumeDraft> HOST_DISK_SOURCE =
      Section.<VolumeDraft>strict(VolumeDraft::hostDiskProbe, VolumeDraft::build)
          .field("capacity", quantity(), (d, v) -> d.volume.size(v))
          .field("path", string(), (d, v) -> {})
          .field("type", string(), (d, v) -> {})
          .field("shared", bool(), (d, v) -> d.volume.markedShared(v));

  /** The sources of a volume, in the order problems list them. */
  private static final List<SourceKind> SOURCES =
      List.of(
          new SourceKind(
              "persistentVolumeClaim",
              VolumeType.PERSISTENT_VOLUME_CLAIM,
              source(VolumeType.PERSISTENT_VOLUME_CLAIM, CLAIM_SOURCE)),
          new SourceKind(
              "dataVolume",
              VolumeType.DATA_VOLUME,
              source(VolumeType.DATA_VOLUME, DATA_VOLUME_SOURCE)),
          new SourceKind(
              "containerDisk", VolumeType.CONTAINER_DISK, anySource(VolumeType.CONTAINER_DISK)),
          new SourceKind(
              "emptyDisk", VolumeType.EMPTY_DISK, source(VolumeType.EMPTY_DISK, EMPTY_DISK_SOURCE)),
          new SourceKind(
              "hostDisk", VolumeType.HOST_DISK, source(VolumeType.HOST_DISK, HOST_DISK_SOURCE)),
          new SourceKind(
              "ephemeral", VolumeType.EPHEMERAL, source(VolumeType.EPHEMERAL, EPHEMERAL_SOURCE)),
          new SourceKind(
              "memoryDump", VolumeType.MEMORY_DUMP, source(VolumeType.MEMORY_DUMP, CLAIM_SOURCE)),
          new SourceKind(
              "containerPath", VolumeType.CONTAINER_PATH, anySource(VolumeType.CONTAINER_PATH)),
          generated("cloudInitNoCloud"),
          generated("cloudInitConfigDrive"),
          generated("configMap"),
          generated("secret"),
          generated("serviceAccount"),
          generated("sysprep"),
          generated("downwardAPI"),
          generated("downwardMetrics"));

  private static final List<String> SOURCE_KEYS = SOURCES.stream().map(SourceKind::key).toList();

  private static final Section<VolumeDraft> VOLUME = volumeSection();

  /**
   * Returns the key a volume of {@code type} is written under: the first source of that type, so
   * {@code cloudInitNoCloud} for {@code GENERATED}.
   */
  static String sourceKey(VolumeType type) {
    return SOURCES.stream().filter(source -> source.type() == type).findFirst().orElseThrow().key();
  }

  static Optional<ReadVolume> volume(Tree node, String path, Problems problems) {
    if (!(node instanceof Tree.Mapping mapping)) {
      problems.invalid(path, node, "must be a map");
      return Optional.empty();
    }
    int before = problems.count();
    Collection<Bound<VolumeDraft>> values = VOLUME.read(mapping, path, problems).values();
    InstanceReader.exactlyOne(VOLUME, mapping, path, SOURCE_KEYS, "source", problems);
    return Section.build(new VolumeDraft(), VolumeDraft::build, values, path, problems, before);
  }

  private static Converter<Source> source(VolumeType type, Section<VolumeDraft> section) {
    return (node, path, problems) ->
        nested(section, node, path, problems).map(settings -> new Source(type, settings));
  }

  /** A source whose content does not matter to migration, such as a container disk's image. */
  private static Converter<Source> anySource(VolumeType type) {
    return (node, path, problems) ->
        mapping().convert(node, path, problems).map(m -> new Source(type, List.of()));
  }

  private static SourceKind generated(String key) {
    return new SourceKind(key, VolumeType.GENERATED, anySource(VolumeType.GENERATED));
  }

  private static Section<VolumeDraft> volumeSection() {
    Section<VolumeDraft> section =
        Section.<VolumeDraft>strict(VolumeDraft::probe, VolumeDraft::build)
            .required("name", string(), (d, v) -> d.volume.name(v));
    for (SourceKind source : SOURCES) {
      section.field(
          source.key(),
          source.converter(),
          (d, read) -> {
            d.volume.type(read.type());
            read.settings().forEach(setting -> setting.setter().accept(d));
          });
    }
    return section;
  }
}
