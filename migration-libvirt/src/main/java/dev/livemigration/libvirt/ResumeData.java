package dev.livemigration.libvirt;

import dev.livemigration.api.spi.BackendException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.libvirt.Domain.MigrateFlags;

/**
 * What a libvirt migration leaves in the engine's record so that another process can find its job
 * again ({@link LibvirtSession#resumeData()}, {@link LibvirtBackend#resume}): the domain's name and
 * UUID, the source and target nodes and their URIs as the starting backend knew them, whether the
 * migration is peer-to-peer, the libvirt flags (and their names, for people), and when it started.
 * Plain strings under stable keys.
 *
 * @param domainName the domain's name
 * @param domainUuid the domain's UUID, empty when unknown (a record written before the job ran)
 * @param sourceNode the source node's name
 * @param sourceUri the source daemon's URI as the starting backend knew it
 * @param targetNode the target node's name
 * @param targetUri the target daemon's URI as the starting backend knew it
 * @param peerToPeer whether the source daemon drives the migration itself (it then survives the
 *     engine that started it); false for a managed (client-driven) one
 * @param flags the {@code virDomainMigrateFlags} of the migration call
 * @param startedAt when the migration call was made, if known
 */
record ResumeData(
    String domainName,
    String domainUuid,
    String sourceNode,
    String sourceUri,
    String targetNode,
    String targetUri,
    boolean peerToPeer,
    int flags,
    @Nullable Instant startedAt) {

  /** The format of these keys; written as {@link #FORMAT}. */
  static final String FORMAT_KEY = "libvirt.format";

  /** The one format so far. */
  static final String FORMAT = "1";

  static final String DOMAIN_NAME = "libvirt.domain.name";
  static final String DOMAIN_UUID = "libvirt.domain.uuid";
  static final String SOURCE_NODE = "libvirt.source.node";
  static final String SOURCE_URI = "libvirt.source.uri";
  static final String TARGET_NODE = "libvirt.target.node";
  static final String TARGET_URI = "libvirt.target.uri";
  static final String PEER_TO_PEER = "libvirt.peerToPeer";
  static final String FLAGS = "libvirt.flags";
  static final String FLAG_NAMES = "libvirt.flagNames";
  static final String STARTED_AT = "libvirt.startedAt";

  /** Returns whether every bit of {@code flag} is set. */
  boolean has(int flag) {
    return (flags & flag) == flag;
  }

  /** Returns whether the migration was started with post-copy enabled. */
  boolean postCopyAllowed() {
    return has(MigrateFlags.POSTCOPY);
  }

  /** Returns the data as the record keeps it. */
  Map<String, String> toMap(List<String> flagNames) {
    Map<String, String> map = new LinkedHashMap<>();
    map.put(FORMAT_KEY, FORMAT);
    map.put(DOMAIN_NAME, domainName);
    map.put(DOMAIN_UUID, domainUuid);
    map.put(SOURCE_NODE, sourceNode);
    map.put(SOURCE_URI, sourceUri);
    map.put(TARGET_NODE, targetNode);
    map.put(TARGET_URI, targetUri);
    map.put(PEER_TO_PEER, Boolean.toString(peerToPeer));
    map.put(FLAGS, Integer.toString(flags));
    map.put(FLAG_NAMES, String.join(",", flagNames));
    if (startedAt != null) {
      map.put(STARTED_AT, startedAt.toString());
    }
    return Map.copyOf(map);
  }

  /**
   * Reads the data a session gave, falling back on what the engine knows of the migration for
   * anything left out (an engine that stopped inside {@code start()} kept none): the VMI's name as
   * the domain's, the spec's nodes, this backend's URIs and settings.
   *
   * @throws BackendException if a value is not what this backend writes
   */
  static ResumeData read(Map<String, String> data, ResumeData fallback) {
    String format = data.getOrDefault(FORMAT_KEY, FORMAT);
    if (!FORMAT.equals(format)) {
      throw new BackendException(
          "the migration's resume data has libvirt format '"
              + format
              + "', but this backend reads format "
              + FORMAT
              + " only; resume it with the version of the library that started it");
    }
    int flags;
    try {
      flags = Integer.parseInt(data.getOrDefault(FLAGS, Integer.toString(fallback.flags())));
    } catch (NumberFormatException e) {
      throw new BackendException(
          "the migration's resume data has " + FLAGS + " '" + data.get(FLAGS) + "', not a number",
          e);
    }
    Instant startedAt = fallback.startedAt();
    String started = data.get(STARTED_AT);
    if (started != null) {
      try {
        startedAt = Instant.parse(started);
      } catch (DateTimeParseException e) {
        throw new BackendException(
            "the migration's resume data has " + STARTED_AT + " '" + started + "', not an instant",
            e);
      }
    }
    return new ResumeData(
        value(data, DOMAIN_NAME).orElse(fallback.domainName()),
        value(data, DOMAIN_UUID).orElse(fallback.domainUuid()),
        value(data, SOURCE_NODE).orElse(fallback.sourceNode()),
        value(data, SOURCE_URI).orElse(fallback.sourceUri()),
        value(data, TARGET_NODE).orElse(fallback.targetNode()),
        value(data, TARGET_URI).orElse(fallback.targetUri()),
        value(data, PEER_TO_PEER).map(Boolean::parseBoolean).orElse(fallback.peerToPeer()),
        flags,
        startedAt);
  }

  /** Returns the same data with the domain's UUID. */
  ResumeData withUuid(String uuid) {
    return new ResumeData(
        domainName,
        uuid,
        sourceNode,
        sourceUri,
        targetNode,
        targetUri,
        peerToPeer,
        flags,
        startedAt);
  }

  private static Optional<String> value(Map<String, String> data, String key) {
    return Optional.ofNullable(data.get(key)).filter(v -> !v.isBlank());
  }
}
