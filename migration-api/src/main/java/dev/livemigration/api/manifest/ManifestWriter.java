package dev.livemigration.api.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.livemigration.api.Condition;
import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.NetworkBindingPlugin;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import dev.livemigration.api.Volume;
import dev.livemigration.api.manifest.InstanceReader.ObjectKey;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/** Writes the model's values as manifests in KubeVirt's camelCase form, as YAML or JSON. */
final class ManifestWriter {
  private static final String KUBEVIRT_API_VERSION = "kubevirt.io/v1";
  private static final String POLICY_API_VERSION = "migrations.kubevirt.io/v1alpha1";
  private static final String CORE_API_VERSION = "v1";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private static final ObjectMapper YAML =
      new YAMLMapper(
          YAMLFactory.builder()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .disable(YAMLGenerator.Feature.SPLIT_LINES)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
              .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
              .build());

  private static final ObjectWriter JSON = jsonWriter();

  private ManifestWriter() {}

  /** Returns {@code value} as YAML. */
  static String yaml(Object value) {
    try {
      return YAML.writeValueAsString(tree(value));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot write " + value.getClass().getName() + " as YAML", e);
    }
  }

  /** Returns {@code value} as JSON, indented, with a final line break. */
  static String json(Object value) {
    try {
      return JSON.writeValueAsString(tree(value)) + "\n";
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot write " + value.getClass().getName() + " as JSON", e);
    }
  }

  /** Returns the documents of {@code values} as YAML, separated by {@code ---}. */
  static String yaml(List<?> values) {
    StringBuilder text = new StringBuilder();
    for (ObjectNode document : documents(values)) {
      if (text.length() > 0) {
        text.append("---\n");
      }
      try {
        text.append(YAML.writeValueAsString(document));
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException("cannot write a manifest as YAML", e);
      }
    }
    return text.toString();
  }

  /** Returns the documents of {@code values} as JSON, one after the other. */
  static String json(List<?> values) {
    StringBuilder text = new StringBuilder();
    for (ObjectNode document : documents(values)) {
      try {
        text.append(JSON.writeValueAsString(document)).append('\n');
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException("cannot write a manifest as JSON", e);
      }
    }
    return text.toString();
  }

  /**
   * Returns the manifest trees of {@code values}, each VMI followed by the claims of its volumes
   * that have access modes; a claim equal to one written already is left out.
   *
   * @throws IllegalArgumentException if two different claims have the same namespace and name
   */
  private static List<ObjectNode> documents(List<?> values) {
    Objects.requireNonNull(values, "values");
    List<ObjectNode> documents = new ArrayList<>();
    Map<ObjectKey, ObjectNode> claims = new HashMap<>();
    for (Object value : values) {
      if (value instanceof PersistentVolumeClaim claim) {
        addClaim(claim, documents, claims);
        continue;
      }
      documents.add(tree(value));
      if (value instanceof VirtualMachineInstance vmi) {
        for (Volume volume : vmi.volumes()) {
          if (volume.type().isClaim() && !volume.accessModes().isEmpty()) {
            addClaim(
                new PersistentVolumeClaim(
                    vmi.namespace(), claimName(vmi, volume), volume.accessModes(), Quantity.ZERO),
                documents,
                claims);
          }
        }
      }
    }
    return documents;
  }

  private static void addClaim(
      PersistentVolumeClaim claim, List<ObjectNode> documents, Map<ObjectKey, ObjectNode> claims) {
    ObjectNode document = claim(claim);
    ObjectNode earlier =
        claims.putIfAbsent(new ObjectKey(claim.namespace(), claim.name()), document);
    if (earlier == null) {
      documents.add(document);
    } else if (!earlier.equals(document)) {
      throw new IllegalArgumentException(
          "cannot write two different claims named '"
              + claim.name()
              + "' in namespace '"
              + claim.namespace()
              + "' (a VMI's claim volume is written as the claim <vmi>-<volume>)");
    }
  }

  /** The name a VMI's manifest gives the claim of a volume: {@code <vmi>-<volume>}. */
  private static String claimName(VirtualMachineInstance vmi, Volume volume) {
    return vmi.name() + "-" + volume.name();
  }

  /**
   * Returns the manifest tree of {@code value}.
   *
   * @throws IllegalArgumentException if {@code value} is not of a supported type
   */
  static ObjectNode tree(Object value) {
    Objects.requireNonNull(value, "value");
    if (value instanceof ObjectNode tree) {
      return tree;
    }
    if (value instanceof VirtualMachineInstanceMigration migration) {
      return migration(migration);
    }
    if (value instanceof KubeVirt kubeVirt) {
      return kubeVirt(kubeVirt);
    }
    if (value instanceof MigrationPolicy policy) {
      return policy(policy);
    }
    if (value instanceof MigrationState state) {
      return state(state);
    }
    if (value instanceof VirtualMachineInstanceStatus status) {
      return status(status);
    }
    if (value instanceof MigrationConfiguration configuration) {
      return configuration(configuration);
    }
    if (value instanceof VirtualMachineInstance vmi) {
      return instance(vmi);
    }
    if (value instanceof PersistentVolumeClaim claim) {
      return claim(claim);
    }
    throw new IllegalArgumentException(
        "cannot write a "
            + value.getClass().getName()
            + " as a manifest; supported types are "
            + ManifestReader.TYPES.stream()
                .map(Class::getSimpleName)
                .collect(Collectors.joining(", ")));
  }

  private static ObjectNode header(String apiVersion, String kind) {
    ObjectNode node = NODES.objectNode();
    node.put("apiVersion", apiVersion);
    node.put("kind", kind);
    return node;
  }

  private static ObjectNode migration(VirtualMachineInstanceMigration migration) {
    ObjectNode node = header(KUBEVIRT_API_VERSION, "VirtualMachineInstanceMigration");
    ObjectNode metadata = node.putObject("metadata");
    metadata.put("name", migration.name());
    metadata.put("namespace", migration.namespace());
    ObjectNode spec = node.putObject("spec");
    spec.put("vmiName", migration.vmiName());
    migration.priority().ifPresent(v -> spec.put("priority", v.wireName()));
    if (!migration.addedNodeSelector().isEmpty()) {
      spec.set("addedNodeSelector", strings(migration.addedNodeSelector()));
    }
    return node;
  }

  private static ObjectNode kubeVirt(KubeVirt kubeVirt) {
    ObjectNode node = header(KUBEVIRT_API_VERSION, "KubeVirt");
    ObjectNode metadata = node.putObject("metadata");
    metadata.put("name", kubeVirt.name());
    metadata.put("namespace", kubeVirt.namespace());
    ObjectNode configuration = node.putObject("spec").putObject("configuration");
    ArrayNode gates = configuration.putObject("developerConfiguration").putArray("featureGates");
    kubeVirt.featureGates().forEach(gates::add);
    configuration.set("migrations", configuration(kubeVirt.migrations()));
    if (!kubeVirt.bindingPlugins().isEmpty()) {
      ObjectNode binding = configuration.putObject("network").putObject("binding");
      for (NetworkBindingPlugin plugin : kubeVirt.bindingPlugins()) {
        ObjectNode written = binding.putObject(plugin.name());
        if (plugin.migratable()) {
          ObjectNode migration = written.putObject("migration");
          plugin.migrationMethod().ifPresent(m -> migration.put("method", m.wireName()));
        }
      }
    }
    return node;
  }

  private static ObjectNode policy(MigrationPolicy policy) {
    ObjectNode node = header(POLICY_API_VERSION, "MigrationPolicy");
    node.putObject("metadata").put("name", policy.name());
    ObjectNode spec = node.putObject("spec");
    if (policy.hasSelectors()) {
      ObjectNode selectors = spec.putObject("selectors");
      if (!policy.namespaceSelector().isEmpty()) {
        selectors.set("namespaceSelector", strings(policy.namespaceSelector()));
      }
      if (!policy.virtualMachineInstanceSelector().isEmpty()) {
        selectors.set(
            "virtualMachineInstanceSelector", strings(policy.virtualMachineInstanceSelector()));
      }
    }
    policy.allowAutoConverge().ifPresent(v -> spec.put("allowAutoConverge", v));
    policy.bandwidthPerMigration().ifPresent(v -> spec.put("bandwidthPerMigration", v.toString()));
    policy
        .completionTimeoutPerGiB()
        .ifPresent(v -> spec.put("completionTimeoutPerGiB", v.getSeconds()));
    policy.allowPostCopy().ifPresent(v -> spec.put("allowPostCopy", v));
    policy.allowWorkloadDisruption().ifPresent(v -> spec.put("allowWorkloadDisruption", v));
    policy.maxDowntimeMs().ifPresent(v -> spec.put("maxDowntimeMs", v));
    policy
        .experimental()
        .ifPresent(v -> spec.set("experimental", ExperimentalWriter.experimental(v)));
    return node;
  }

  private static ObjectNode instance(VirtualMachineInstance vmi) {
    ObjectNode node = header(KUBEVIRT_API_VERSION, "VirtualMachineInstance");
    ObjectNode metadata = node.putObject("metadata");
    metadata.put("name", vmi.name());
    metadata.put("namespace", vmi.namespace());
    if (!vmi.labels().isEmpty()) {
      metadata.set("labels", strings(vmi.labels()));
    }
    if (!vmi.annotations().isEmpty()) {
      metadata.set("annotations", strings(vmi.annotations()));
    }
    ObjectNode spec = node.putObject("spec");
    ObjectNode domain = spec.putObject("domain");
    domain.putObject("memory").put("guest", vmi.memory().toString());
    ObjectNode devices = domain.putObject("devices");
    if (!vmi.interfaces().isEmpty()) {
      ArrayNode interfaces = devices.putArray("interfaces");
      ArrayNode networks = spec.putArray("networks");
      for (NetworkInterface networkInterface : vmi.interfaces()) {
        ObjectNode written = interfaces.addObject();
        written.put("name", networkInterface.name());
        ObjectNode binding =
            written.putObject(InterfaceReader.bindingKey(networkInterface.binding()));
        networkInterface.bindingPlugin().ifPresent(name -> binding.put("name", name));
        if (!networkInterface.ports().isEmpty()) {
          ArrayNode ports = written.putArray("ports");
          networkInterface.ports().forEach(port -> ports.addObject().put("port", port));
        }
        if (!networkInterface.portRanges().isEmpty()) {
          ArrayNode ranges = written.putArray("portRanges");
          networkInterface
              .portRanges()
              .forEach(
                  range ->
                      ranges
                          .addObject()
                          .put("protocol", "TCP")
                          .put("start", range.start())
                          .put("end", range.end()));
        }
        ObjectNode network = networks.addObject();
        network.put("name", networkInterface.name());
        if (networkInterface.podNetwork()) {
          network.putObject("pod");
        } else if (networkInterface.resourceClaimName().isPresent()) {
          ObjectNode claim = network.putObject("resourceClaim");
          claim.put("claimName", networkInterface.resourceClaimName().get());
          networkInterface.resourceClaimRequestName().ifPresent(v -> claim.put("requestName", v));
        } else {
          network.putObject("multus").put("networkName", networkInterface.name());
        }
      }
    }
    if (!vmi.volumes().isEmpty()) {
      ArrayNode volumes = spec.putArray("volumes");
      for (Volume volume : vmi.volumes()) {
        ObjectNode written = volumes.addObject();
        written.put("name", volume.name());
        ObjectNode source = written.putObject(VolumeReader.sourceKey(volume.type()));
        switch (volume.type()) {
          case PERSISTENT_VOLUME_CLAIM -> source.put("claimName", claimName(vmi, volume));
          case DATA_VOLUME -> source.put("name", claimName(vmi, volume));
          case MEMORY_DUMP -> source.put("claimName", claimName(vmi, volume));
          case EPHEMERAL ->
              source.putObject("persistentVolumeClaim").put("claimName", claimName(vmi, volume));
          case EMPTY_DISK -> source.put("capacity", volume.size().toString());
          case HOST_DISK -> {
            if (!volume.size().isZero()) {
              source.put("capacity", volume.size().toString());
            }
            if (volume.markedShared()) {
              source.put("shared", true);
            }
          }
          default -> {
            // a container disk's image and a generated volume's content are not in the model
          }
        }
      }
    }
    ObjectNode status = node.putObject("status");
    status.put("nodeName", vmi.nodeName());
    ArrayNode volumeStatus = NODES.arrayNode();
    for (Volume volume : vmi.volumes()) {
      volumeStatus(vmi, volume).ifPresent(volumeStatus::add);
    }
    if (!volumeStatus.isEmpty()) {
      status.set("volumeStatus", volumeStatus);
    }
    return node;
  }

  /**
   * The {@code status.volumeStatus} entry of a volume, where KubeVirt keeps what the spec cannot
   * say: the access modes of a claim ({@code persistentVolumeClaimInfo.accessModes}) and the size
   * ({@code persistentVolumeClaimInfo.capacity.storage} for a volume backed by a claim, {@code
   * size} in bytes for the others). Empty when there is nothing to say, or the spec says it (the
   * capacity of an empty or host disk).
   */
  private static java.util.Optional<ObjectNode> volumeStatus(
      VirtualMachineInstance vmi, Volume volume) {
    boolean claimBacked =
        switch (volume.type()) {
          case PERSISTENT_VOLUME_CLAIM, DATA_VOLUME, EPHEMERAL, MEMORY_DUMP -> true;
          default -> false;
        };
    boolean sizeInSpec =
        volume.type() == dev.livemigration.api.VolumeType.EMPTY_DISK
            || volume.type() == dev.livemigration.api.VolumeType.HOST_DISK;
    boolean size = !volume.size().isZero() && !sizeInSpec;
    if (volume.accessModes().isEmpty() && !size) {
      return java.util.Optional.empty();
    }
    ObjectNode entry = NODES.objectNode();
    entry.put("name", volume.name());
    if (size && !claimBacked) {
      entry.put("size", volume.size().bytes());
    }
    if (claimBacked || !volume.accessModes().isEmpty()) {
      ObjectNode info = entry.putObject("persistentVolumeClaimInfo");
      if (claimBacked) {
        info.put("claimName", claimName(vmi, volume));
      }
      if (!volume.accessModes().isEmpty()) {
        ArrayNode modes = info.putArray("accessModes");
        volume.accessModes().forEach(mode -> modes.add(EnumNames.toWire(mode)));
      }
      if (size && claimBacked) {
        info.putObject("capacity").put("storage", volume.size().toString());
      }
    }
    return java.util.Optional.of(entry);
  }

  private static ObjectNode claim(PersistentVolumeClaim claim) {
    ObjectNode node = header(CORE_API_VERSION, "PersistentVolumeClaim");
    ObjectNode metadata = node.putObject("metadata");
    metadata.put("name", claim.name());
    metadata.put("namespace", claim.namespace());
    ObjectNode spec = node.putObject("spec");
    ArrayNode modes = spec.putArray("accessModes");
    claim.accessModes().forEach(mode -> modes.add(EnumNames.toWire(mode)));
    if (!claim.size().isZero()) {
      spec.putObject("resources").putObject("requests").put("storage", claim.size().toString());
    }
    return node;
  }

  /** Every field of a configuration, as in KubeVirt's {@code spec.configuration.migrations}. */
  private static ObjectNode configuration(MigrationConfiguration configuration) {
    ObjectNode node = NODES.objectNode();
    node.put("parallelMigrationsPerCluster", configuration.parallelMigrationsPerCluster());
    node.put(
        "parallelOutboundMigrationsPerNode", configuration.parallelOutboundMigrationsPerNode());
    node.put("bandwidthPerMigration", configuration.bandwidthPerMigration().toString());
    node.put("completionTimeoutPerGiB", configuration.completionTimeoutPerGiB().getSeconds());
    node.put("progressTimeout", configuration.progressTimeout().getSeconds());
    node.put("disableTLS", configuration.disableTLS());
    node.put("nodeDrainTaintKey", configuration.nodeDrainTaintKey());
    node.put("allowAutoConverge", configuration.allowAutoConverge());
    node.put("allowPostCopy", configuration.allowPostCopy());
    node.put("unsafeMigrationOverride", configuration.unsafeMigrationOverride());
    configuration.network().ifPresent(v -> node.put("network", v));
    node.put("maxDowntimeMs", configuration.maxDowntimeMs());
    node.put("allowWorkloadDisruption", configuration.allowWorkloadDisruption());
    configuration
        .experimental()
        .ifPresent(v -> node.set("experimental", ExperimentalWriter.experimental(v)));
    return node;
  }

  private static ObjectNode state(MigrationState state) {
    ObjectNode node = NODES.objectNode();
    node.put("migrationUid", state.migrationUid());
    node.put("phase", EnumNames.toWire(state.phase()));
    // KubeVirt has one Paused for a paused guest and a paused post-copy.
    node.put(
        "mode",
        EnumNames.toWire(
            state.mode() == MigrationMode.POST_COPY_PAUSED ? MigrationMode.PAUSED : state.mode()));
    state.startTimestamp().ifPresent(v -> node.put("startTimestamp", timestamp(v)));
    state.endTimestamp().ifPresent(v -> node.put("endTimestamp", timestamp(v)));
    node.put("completed", state.completed());
    node.put("failed", state.failed());
    node.put("abortRequested", state.abortRequested());
    state.abortStatus().ifPresent(v -> node.put("abortStatus", EnumNames.toWire(v)));
    state.failureReason().ifPresent(v -> node.put("failureReason", v));
    state.guestLocation().ifPresent(v -> node.put("guestLocation", EnumNames.toWire(v)));
    state.migrationConfig().ifPresent(v -> node.set("migrationConfig", configuration(v)));
    state.migrationPolicyName().ifPresent(v -> node.put("migrationPolicyName", v));
    state.sourceNode().ifPresent(v -> node.put("sourceNode", v));
    state.targetNode().ifPresent(v -> node.put("targetNode", v));
    state.targetNodeAddress().ifPresent(v -> node.put("targetNodeAddress", v));
    node.put("targetNodeDomainDetected", state.targetNodeDomainDetected());
    state.targetPod().ifPresent(v -> node.put("targetPod", v));
    state
        .migrationNetworkType()
        .ifPresent(v -> node.put("migrationNetworkType", EnumNames.toWire(v)));
    if (!state.targetDirectMigrationNodePorts().isEmpty()) {
      ObjectNode ports = node.putObject("targetDirectMigrationNodePorts");
      state
          .targetDirectMigrationNodePorts()
          .forEach((port, target) -> ports.put(String.valueOf(port), target));
    }
    return node;
  }

  private static ObjectNode status(VirtualMachineInstanceStatus status) {
    ObjectNode node = NODES.objectNode();
    ArrayNode conditions = node.putArray("conditions");
    status.conditions().forEach(c -> conditions.add(condition(c)));
    status.migrationMethod().ifPresent(v -> node.put("migrationMethod", EnumNames.toWire(v)));
    status.migrationState().ifPresent(v -> node.set("migrationState", state(v)));
    return node;
  }

  private static ObjectNode condition(Condition condition) {
    ObjectNode node = NODES.objectNode();
    node.put("type", condition.type());
    node.put("status", EnumNames.toWire(condition.status()));
    condition.reason().ifPresent(v -> node.put("reason", v));
    condition.message().ifPresent(v -> node.put("message", v));
    return node;
  }

  private static ObjectNode strings(Map<String, String> map) {
    ObjectNode node = NODES.objectNode();
    map.forEach(node::put);
    return node;
  }

  /** An RFC 3339 timestamp in UTC, such as {@code 2019-03-29T03:37:52Z}. */
  private static String timestamp(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant);
  }

  private static ObjectWriter jsonWriter() {
    DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
    DefaultPrettyPrinter printer =
        new DefaultPrettyPrinter()
            .withSeparators(
                Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER));
    printer.indentObjectsWith(indenter);
    printer.indentArraysWith(indenter);
    return JsonMapper.builder().build().writer(printer);
  }
}
