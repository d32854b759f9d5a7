package dev.livemigration.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.AccessMode;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.MigrationConfiguration;
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
import dev.livemigration.api.manifest.Manifests;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The JSON forms of what a record holds. The request, the VMI and the configuration are kept in
 * their manifest forms, so that every field the model knows reads back equal without a list of its
 * own here; the state is written field by field (a manifest leaves out its progress): quantities in
 * their exact text, durations and instants in ISO-8601, enums by name. Rows written before the
 * request and the VMI were manifests still read.
 */
final class RecordCodec {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private RecordCodec() {}

  static String json(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  static JsonNode parse(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "the store holds JSON that does not parse: " + e.getOriginalMessage(), e);
    }
  }

  // ---------------------------------------------------------------- request

  /**
   * The request in its manifest form ({@code Manifests.toJson}), as the configuration: every field
   * the model knows (priority, added node selector, and tomorrow's) is kept without a list here.
   */
  static ObjectNode request(VirtualMachineInstanceMigration request) {
    return manifest(request, "VirtualMachineInstanceMigration");
  }

  static VirtualMachineInstanceMigration request(JsonNode node) {
    if (node.has("kind")) {
      return Manifests.read(node.toString(), VirtualMachineInstanceMigration.class);
    }
    // A row written before requests were stored as manifests: name, namespace and VMI only.
    return VirtualMachineInstanceMigration.builder()
        .name(node.get("name").asText())
        .namespace(node.get("namespace").asText())
        .vmiName(node.get("vmiName").asText())
        .build();
  }

  // ---------------------------------------------------------------- VMI

  /**
   * The VMI in its manifest form ({@code Manifests.toJson}): interfaces with their binding plugins,
   * port ranges and networks (pod, Multus, resource claim), annotations, volumes with their
   * sources, and the claims' access modes and the volumes' sizes in {@code status.volumeStatus}, as
   * KubeVirt keeps them. Sizes of volumes that are not claims are kept in bytes, so their text may
   * change ({@code 512M} reads back as {@code 500000Ki}), their value not.
   */
  static ObjectNode vmi(VirtualMachineInstance vmi) {
    return manifest(vmi, "VirtualMachineInstance");
  }

  static VirtualMachineInstance vmi(JsonNode node) {
    if (node.has("kind")) {
      return Manifests.read(node.toString(), VirtualMachineInstance.class);
    }
    return legacyVmi(node);
  }

  /** The document of {@code kind} among those the manifest writer writes for {@code value}. */
  private static ObjectNode manifest(Object value, String kind) {
    try (com.fasterxml.jackson.databind.MappingIterator<JsonNode> documents =
        MAPPER.readerFor(JsonNode.class).readValues(Manifests.toJson(value))) {
      while (documents.hasNext()) {
        JsonNode document = documents.next();
        if (kind.equals(document.path("kind").asText())) {
          return (ObjectNode) document;
        }
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException("the manifest writer wrote JSON that does not parse", e);
    }
    throw new IllegalStateException("the manifest writer wrote no " + kind + " for " + value);
  }

  /** A VMI row written before VMIs were stored as manifests, field by field. */
  private static VirtualMachineInstance legacyVmi(JsonNode node) {
    VirtualMachineInstance.Builder builder =
        VirtualMachineInstance.builder()
            .namespace(node.get("namespace").asText())
            .name(node.get("name").asText())
            .nodeName(node.get("nodeName").asText())
            .memory(Quantity.parse(node.get("memory").asText()));
    node.get("labels").fields().forEachRemaining(e -> builder.putLabels(e.getKey(), text(e)));
    for (JsonNode v : node.get("volumes")) {
      Volume.Builder volume =
          Volume.builder()
              .name(v.get("name").asText())
              .type(VolumeType.valueOf(v.get("type").asText()))
              .size(Quantity.parse(v.get("size").asText()));
      v.get("accessModes").forEach(m -> volume.addAccessModes(AccessMode.valueOf(m.asText())));
      builder.addVolumes(volume.build());
    }
    for (JsonNode i : node.get("interfaces")) {
      NetworkInterface.Builder nic =
          NetworkInterface.builder()
              .name(i.get("name").asText())
              .binding(InterfaceBinding.valueOf(i.get("binding").asText()))
              .podNetwork(i.get("podNetwork").asBoolean());
      i.get("ports").forEach(p -> nic.addPorts(p.asInt()));
      builder.addInterfaces(nic.build());
    }
    return builder.build();
  }

  private static String text(Map.Entry<String, JsonNode> entry) {
    return entry.getValue().asText();
  }

  // ---------------------------------------------------------------- configuration

  /**
   * The configuration in its manifest form ({@code Manifests.toJson}), so that every field the
   * model knows, today's and tomorrow's, is kept without a list of its own here.
   */
  static ObjectNode configuration(MigrationConfiguration c) {
    try {
      return (ObjectNode) MAPPER.readTree(Manifests.toJson(c));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("the manifest writer wrote JSON that does not parse", e);
    }
  }

  static MigrationConfiguration configuration(JsonNode node) {
    return Manifests.read(node.toString(), MigrationConfiguration.class);
  }

  // ---------------------------------------------------------------- state

  static ObjectNode state(MigrationState s) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("migrationUid", s.migrationUid());
    node.put("phase", s.phase().name());
    node.put("mode", s.mode().name());
    s.modeReason().ifPresent(r -> node.put("modeReason", r));
    s.startTimestamp().ifPresent(t -> node.put("startTimestamp", t.toString()));
    s.endTimestamp().ifPresent(t -> node.put("endTimestamp", t.toString()));
    node.put("completed", s.completed());
    node.put("failed", s.failed());
    node.put("abortRequested", s.abortRequested());
    s.abortStatus().ifPresent(a -> node.put("abortStatus", a.name()));
    s.failureReason().ifPresent(r -> node.put("failureReason", r));
    s.guestLocation().ifPresent(l -> node.put("guestLocation", l.name()));
    s.migrationConfig().ifPresent(c -> node.set("migrationConfig", configuration(c)));
    s.migrationPolicyName().ifPresent(p -> node.put("migrationPolicyName", p));
    s.sourceNode().ifPresent(n -> node.put("sourceNode", n));
    s.targetNode().ifPresent(n -> node.put("targetNode", n));
    s.targetNodeAddress().ifPresent(a -> node.put("targetNodeAddress", a));
    node.put("targetNodeDomainDetected", s.targetNodeDomainDetected());
    s.targetPod().ifPresent(p -> node.put("targetPod", p));
    ObjectNode ports = node.putObject("targetDirectMigrationNodePorts");
    s.targetDirectMigrationNodePorts().forEach((k, v) -> ports.put(String.valueOf(k), v));
    s.progress().ifPresent(p -> node.set("progress", progress(p)));
    return node;
  }

  static MigrationState state(JsonNode node) {
    MigrationState.Builder b =
        MigrationState.builder()
            .migrationUid(node.get("migrationUid").asText())
            .phase(MigrationPhase.valueOf(node.get("phase").asText()))
            .mode(MigrationMode.valueOf(node.get("mode").asText()))
            .completed(node.get("completed").asBoolean())
            .failed(node.get("failed").asBoolean())
            .abortRequested(node.get("abortRequested").asBoolean())
            .targetNodeDomainDetected(node.get("targetNodeDomainDetected").asBoolean());
    optional(node, "startTimestamp", Instant::parse).ifPresent(b::startTimestamp);
    optional(node, "endTimestamp", Instant::parse).ifPresent(b::endTimestamp);
    optional(node, "abortStatus", AbortStatus::valueOf).ifPresent(b::abortStatus);
    optional(node, "failureReason", s -> s).ifPresent(b::failureReason);
    optional(node, "modeReason", s -> s).ifPresent(b::modeReason);
    optional(node, "guestLocation", GuestLocation::valueOf).ifPresent(b::guestLocation);
    if (node.hasNonNull("migrationConfig")) {
      b.migrationConfig(configuration(node.get("migrationConfig")));
    }
    optional(node, "migrationPolicyName", s -> s).ifPresent(b::migrationPolicyName);
    optional(node, "sourceNode", s -> s).ifPresent(b::sourceNode);
    optional(node, "targetNode", s -> s).ifPresent(b::targetNode);
    optional(node, "targetNodeAddress", s -> s).ifPresent(b::targetNodeAddress);
    optional(node, "targetPod", s -> s).ifPresent(b::targetPod);
    Map<Integer, Integer> ports = new LinkedHashMap<>();
    node.get("targetDirectMigrationNodePorts")
        .fields()
        .forEachRemaining(e -> ports.put(Integer.valueOf(e.getKey()), e.getValue().asInt()));
    b.putAllTargetDirectMigrationNodePorts(ports);
    if (node.hasNonNull("progress")) {
      b.progress(progress(node.get("progress")));
    }
    return b.build();
  }

  static ObjectNode progress(ProgressSample p) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("status", p.status().name());
    node.put("elapsed", p.elapsed().toString());
    node.put("dataTotal", p.dataTotal());
    node.put("dataProcessed", p.dataProcessed());
    node.put("dataRemaining", p.dataRemaining());
    node.put("dirtyRate", p.dirtyRate());
    node.put("transferRate", p.transferRate());
    node.put("iteration", p.iteration());
    node.put("mode", p.mode().name());
    node.put("throttlePercent", p.throttlePercent());
    p.downtime().ifPresent(d -> node.put("downtime", d.toString()));
    p.failureReason().ifPresent(r -> node.put("failureReason", r));
    p.guestLocation().ifPresent(l -> node.put("guestLocation", l.name()));
    return node;
  }

  static ProgressSample progress(JsonNode node) {
    ProgressSample.Builder b =
        ProgressSample.builder()
            .status(ProgressSample.Status.valueOf(node.get("status").asText()))
            .elapsed(Duration.parse(node.get("elapsed").asText()))
            .dataTotal(node.get("dataTotal").asLong())
            .dataProcessed(node.get("dataProcessed").asLong())
            .dataRemaining(node.get("dataRemaining").asLong())
            .dirtyRate(node.get("dirtyRate").asLong())
            .transferRate(node.get("transferRate").asLong())
            .iteration(node.get("iteration").asLong())
            .mode(MigrationMode.valueOf(node.get("mode").asText()))
            .throttlePercent(node.get("throttlePercent").asInt());
    optional(node, "downtime", Duration::parse).ifPresent(b::downtime);
    optional(node, "failureReason", s -> s).ifPresent(b::failureReason);
    optional(node, "guestLocation", GuestLocation::valueOf).ifPresent(b::guestLocation);
    return b.build();
  }

  // ---------------------------------------------------------------- resume data

  static ObjectNode strings(Map<String, String> map) {
    ObjectNode node = MAPPER.createObjectNode();
    map.forEach(node::put);
    return node;
  }

  static Map<String, String> strings(JsonNode node) {
    Map<String, String> map = new LinkedHashMap<>();
    node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
    return map;
  }

  private static <T> java.util.Optional<T> optional(
      JsonNode node, String field, Function<String, T> read) {
    JsonNode value = node.get(field);
    return value == null || value.isNull()
        ? java.util.Optional.empty()
        : java.util.Optional.of(read.apply(value.asText()));
  }
}
