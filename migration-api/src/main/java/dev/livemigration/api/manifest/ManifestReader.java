package dev.livemigration.api.manifest;

import static dev.livemigration.api.manifest.Converters.bool;
import static dev.livemigration.api.manifest.Converters.checked;
import static dev.livemigration.api.manifest.Converters.int64;
import static dev.livemigration.api.manifest.Converters.list;
import static dev.livemigration.api.manifest.Converters.quantity;
import static dev.livemigration.api.manifest.Converters.seconds;
import static dev.livemigration.api.manifest.Converters.string;
import static dev.livemigration.api.manifest.Converters.stringMap;
import static dev.livemigration.api.manifest.Converters.uint32Count;
import static dev.livemigration.api.manifest.Maps.entry;
import static dev.livemigration.api.manifest.Maps.map;
import static dev.livemigration.api.manifest.Maps.nested;

import dev.livemigration.api.BindingMigrationMethod;
import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationPriority;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.NetworkBindingPlugin;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import dev.livemigration.api.manifest.Maps.Sub;
import dev.livemigration.api.manifest.Section.Bound;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Turns a parsed document into the model's value for its kind, recording every problem. */
final class ManifestReader {
  /** The types {@link #read} supports. */
  static final List<Class<?>> TYPES =
      List.of(
          VirtualMachineInstanceMigration.class,
          KubeVirt.class,
          MigrationPolicy.class,
          MigrationState.class,
          VirtualMachineInstanceStatus.class,
          MigrationConfiguration.class,
          VirtualMachineInstance.class,
          PersistentVolumeClaim.class);

  /** KubeVirt's {@code spec.configuration.migrations}, also a migration's configuration. */
  private static final Section<MigrationConfiguration.Builder> CONFIGURATION =
      Section.<MigrationConfiguration.Builder>strict(
              MigrationConfiguration::builder, MigrationConfiguration.Builder::build)
          .field(
              "parallelMigrationsPerCluster",
              uint32Count(),
              MigrationConfiguration.Builder::parallelMigrationsPerCluster)
          .field(
              "parallelOutboundMigrationsPerNode",
              uint32Count(),
              MigrationConfiguration.Builder::parallelOutboundMigrationsPerNode)
          .field(
              "bandwidthPerMigration",
              quantity(),
              MigrationConfiguration.Builder::bandwidthPerMigration)
          .field(
              "completionTimeoutPerGiB",
              seconds(),
              MigrationConfiguration.Builder::completionTimeoutPerGiB)
          .field("progressTimeout", seconds(), MigrationConfiguration.Builder::progressTimeout)
          .field("disableTLS", bool(), MigrationConfiguration.Builder::disableTLS)
          .field("nodeDrainTaintKey", string(), MigrationConfiguration.Builder::nodeDrainTaintKey)
          .field("allowAutoConverge", bool(), MigrationConfiguration.Builder::allowAutoConverge)
          .field("allowPostCopy", bool(), MigrationConfiguration.Builder::allowPostCopy)
          .field(
              "unsafeMigrationOverride",
              bool(),
              MigrationConfiguration.Builder::unsafeMigrationOverride)
          .field("network", string(), (b, v) -> b.network(v))
          .field("maxDowntimeMs", int64(), MigrationConfiguration.Builder::maxDowntimeMs)
          .field(
              "allowWorkloadDisruption",
              bool(),
              MigrationConfiguration.Builder::allowWorkloadDisruption)
          .field("experimental", ExperimentalReader::experimental, (b, v) -> b.experimental(v))
          .warnIgnored(
              "it only means something to Kubernetes",
              "matchSELinuxLevelOnMigration",
              "utilityVolumesTimeout");

  private static final Section<VirtualMachineInstanceMigration.Builder> MIGRATION_METADATA =
      Section.<VirtualMachineInstanceMigration.Builder>lenient(
              () -> VirtualMachineInstanceMigration.builder().name("probe").vmiName("probe"),
              VirtualMachineInstanceMigration.Builder::build)
          .required("name", string(), VirtualMachineInstanceMigration.Builder::name)
          .field("namespace", string(), VirtualMachineInstanceMigration.Builder::namespace);

  private static final Section<VirtualMachineInstanceMigration.Builder> MIGRATION_SPEC =
      Section.<VirtualMachineInstanceMigration.Builder>strict(
              () -> VirtualMachineInstanceMigration.builder().name("probe").vmiName("probe"),
              VirtualMachineInstanceMigration.Builder::build)
          .required("vmiName", string(), VirtualMachineInstanceMigration.Builder::vmiName)
          .field("priority", ManifestReader::priority, (b, v) -> b.priority(v))
          .field(
              "addedNodeSelector",
              stringMap(
                  "spec.addedNodeSelector",
                  (key, value) ->
                      VirtualMachineInstanceMigration.builder()
                          .name("probe")
                          .vmiName("probe")
                          .putAddedNodeSelector(key, value)
                          .build()),
              VirtualMachineInstanceMigration.Builder::addedNodeSelector)
          .refuse(
              "is not supported: this library does not run cross-cluster (decentralized)"
                  + " migrations",
              "sendTo",
              "receive");

  private static final Section<KubeVirt.Builder> KUBEVIRT_METADATA =
      Section.<KubeVirt.Builder>lenient(KubeVirt::builder, KubeVirt.Builder::build)
          .field("name", string(), KubeVirt.Builder::name)
          .field("namespace", string(), KubeVirt.Builder::namespace);

  private static final Section<KubeVirt.Builder> KUBEVIRT_DEVELOPER =
      Section.<KubeVirt.Builder>lenient(KubeVirt::builder, KubeVirt.Builder::build)
          .field(
              "featureGates",
              list(checked(string(), gate -> KubeVirt.builder().addFeatureGates(gate).build())),
              KubeVirt.Builder::featureGates);

  private static final Section<MigrationPolicy.Builder> POLICY_METADATA =
      Section.<MigrationPolicy.Builder>lenient(
              () -> MigrationPolicy.builder().name("probe"), MigrationPolicy.Builder::build)
          .required("name", string(), MigrationPolicy.Builder::name);

  private static final Section<MigrationPolicy.Builder> POLICY_SELECTORS =
      Section.<MigrationPolicy.Builder>strict(
              () -> MigrationPolicy.builder().name("probe"), MigrationPolicy.Builder::build)
          .field(
              "namespaceSelector",
              stringMap(
                  "namespaceSelector",
                  (key, value) ->
                      MigrationPolicy.builder()
                          .name("probe")
                          .putNamespaceSelector(key, value)
                          .build()),
              MigrationPolicy.Builder::namespaceSelector)
          .field(
              "virtualMachineInstanceSelector",
              stringMap(
                  "virtualMachineInstanceSelector",
                  (key, value) ->
                      MigrationPolicy.builder()
                          .name("probe")
                          .putVirtualMachineInstanceSelector(key, value)
                          .build()),
              MigrationPolicy.Builder::virtualMachineInstanceSelector);

  private static final Section<MigrationPolicy.Builder> POLICY_SPEC =
      Section.<MigrationPolicy.Builder>strict(
              () -> MigrationPolicy.builder().name("probe"), MigrationPolicy.Builder::build)
          .field(
              "selectors",
              (node, path, problems) -> nested(POLICY_SELECTORS, node, path, problems),
              (b, values) -> {
                // Present, even empty: KubeVirt matches no VMI only when selectors are nil.
                b.hasSelectors(true);
                values.forEach(value -> value.setter().accept(b));
              })
          .field("allowAutoConverge", bool(), (b, v) -> b.allowAutoConverge(v))
          .field("bandwidthPerMigration", quantity(), (b, v) -> b.bandwidthPerMigration(v))
          .field("completionTimeoutPerGiB", seconds(), (b, v) -> b.completionTimeoutPerGiB(v))
          .field("allowPostCopy", bool(), (b, v) -> b.allowPostCopy(v))
          .field("allowWorkloadDisruption", bool(), (b, v) -> b.allowWorkloadDisruption(v))
          .field("maxDowntimeMs", int64(), (b, v) -> b.maxDowntimeMs(v))
          .field("experimental", ExperimentalReader::experimental, (b, v) -> b.experimental(v));

  private ManifestReader() {}

  /** A migration's {@code spec.priority}, as KubeVirt spells it: {@code system-critical}. */
  private static Optional<MigrationPriority> priority(Tree node, String path, Problems problems) {
    if (node instanceof Tree.Scalar scalar && scalar.type() == Tree.ScalarType.STRING) {
      Optional<MigrationPriority> priority = MigrationPriority.fromWireName(scalar.text());
      if (priority.isPresent()) {
        return priority;
      }
    }
    problems.invalid(
        path, node, "must be one of system-critical, user-triggered, system-maintenance");
    return Optional.empty();
  }

  /**
   * Reads {@code root} as a {@code type} ({@code Object} for any kind), recording every problem;
   * returns empty if there was any. A {@code VirtualMachineInstance} is returned as an {@link
   * InstanceReader.ReadInstance}, its claims not yet resolved.
   */
  static Optional<Object> read(Tree root, Class<?> type, Problems problems) {
    int before = problems.count();
    Optional<?> value;
    if (type == MigrationState.class) {
      value =
          unwrapped(root, problems, "migrationState")
              .flatMap(s -> StatusReader.state(s.mapping(), s.path(), problems));
    } else if (type == VirtualMachineInstanceStatus.class) {
      value = unwrapped(root, problems, "status").flatMap(s -> StatusReader.status(s, problems));
    } else if (type == MigrationConfiguration.class) {
      value =
          unwrapped(root, problems, "migrations", "migrationConfiguration", "migrationConfig")
              .flatMap(s -> configuration(s.mapping(), s.path(), problems));
    } else {
      value = kinded(root, List.of(type), problems);
    }
    return problems.count() > before ? Optional.empty() : value.map(Object.class::cast);
  }

  /**
   * Reads {@code root} as a manifest of one of the kinds whose types are {@code types}; see {@link
   * #read(Tree, Class, Problems)}.
   */
  static Optional<Object> readKinded(Tree root, List<Class<?>> types, Problems problems) {
    int before = problems.count();
    Optional<?> value = kinded(root, types, problems);
    return problems.count() > before ? Optional.empty() : value.map(Object.class::cast);
  }

  /**
   * Returns the map of the document, unwrapped from a single key {@code wrappers} if it has one.
   */
  private static Optional<Sub> unwrapped(Tree root, Problems problems, String... wrappers) {
    if (!(root instanceof Tree.Mapping mapping)) {
      problems.invalid("", root, "must be a map");
      return Optional.empty();
    }
    if (mapping.entries().size() == 1) {
      Tree.Entry only = mapping.entries().get(0);
      boolean wrapper =
          Stream.of(wrappers).anyMatch(w -> Tree.normalize(w).equals(Tree.normalize(only.key())));
      if (wrapper && only.value() instanceof Tree.Mapping inner) {
        return Optional.of(new Sub(inner, only.key()));
      }
    }
    return Optional.of(new Sub(mapping, ""));
  }

  private static Optional<?> kinded(Tree root, List<Class<?>> types, Problems problems) {
    if (!(root instanceof Tree.Mapping mapping)) {
      problems.invalid("", root, "must be a map with apiVersion, kind, metadata and spec");
      return Optional.empty();
    }
    Sub document = new Sub(mapping, "");
    Optional<Tree.Entry> kindEntry = entry(mapping, "", "kind", problems);
    if (kindEntry.isEmpty() || Tree.isNull(kindEntry.get().value())) {
      problems.missing("kind", "it must be " + allowed(types));
      return Optional.empty();
    }
    Tree kindNode = kindEntry.get().value();
    String kindPath = kindEntry.get().key();
    Optional<Kind> kind =
        kindNode instanceof Tree.Scalar scalar && scalar.type() == Tree.ScalarType.STRING
            ? Kind.of(scalar.text())
            : Optional.empty();
    if (kind.isEmpty()) {
      problems.invalid(kindPath, kindNode, "must be " + allowed(types));
      return Optional.empty();
    }
    Class<?> type = kind.get().type;
    if (types.stream().noneMatch(t -> t.isAssignableFrom(type))) {
      problems.invalid(kindPath, kindNode, "must be " + allowed(types));
      return Optional.empty();
    }
    checkApiVersion(mapping, kind.get(), problems);
    KnownFields.check(kind.get(), mapping, problems);
    switch (kind.get()) {
      case VIRTUAL_MACHINE_INSTANCE_MIGRATION:
        return migration(document, problems);
      case KUBE_VIRT:
        return kubeVirt(document, problems);
      case MIGRATION_POLICY:
        return policy(document, problems);
      case VIRTUAL_MACHINE_INSTANCE:
        return InstanceReader.instance(document, problems);
      default:
        return InstanceReader.claim(document, problems);
    }
  }

  /** The kinds of {@code types}, as a problem names them: "one of A, B, C" or "A or B". */
  private static String allowed(List<Class<?>> types) {
    if (types.contains(Object.class)) {
      return "one of " + Kind.names();
    }
    return types.stream()
        .map(t -> Kind.of(t).map(k -> k.kind).orElse(t.getSimpleName()))
        .collect(Collectors.joining(" or "));
  }

  private static void checkApiVersion(Tree.Mapping mapping, Kind kind, Problems problems) {
    String versions = String.join(" or ", kind.apiVersions);
    Optional<Tree.Entry> entry = entry(mapping, "", "apiVersion", problems);
    if (entry.isEmpty() || Tree.isNull(entry.get().value())) {
      problems.missing("apiVersion", "it must be " + versions + " for kind " + kind.kind);
      return;
    }
    Tree node = entry.get().value();
    if (!(node instanceof Tree.Scalar scalar)
        || scalar.type() != Tree.ScalarType.STRING
        || !kind.apiVersions.contains(scalar.text())) {
      problems.invalid(entry.get().key(), node, "must be " + versions + " for kind " + kind.kind);
    }
  }

  private static Optional<VirtualMachineInstanceMigration> migration(
      Sub document, Problems problems) {
    int before = problems.count();
    List<Bound<VirtualMachineInstanceMigration.Builder>> values = new ArrayList<>();
    map(document, "metadata", problems)
        .ifPresent(
            m -> values.addAll(MIGRATION_METADATA.read(m.mapping(), m.path(), problems).values()));
    map(document, "spec", problems)
        .ifPresent(
            s -> values.addAll(MIGRATION_SPEC.read(s.mapping(), s.path(), problems).values()));
    return Section.build(
        VirtualMachineInstanceMigration.builder(),
        VirtualMachineInstanceMigration.Builder::build,
        values,
        "",
        problems,
        before);
  }

  private static Optional<KubeVirt> kubeVirt(Sub document, Problems problems) {
    int before = problems.count();
    List<Bound<KubeVirt.Builder>> values = new ArrayList<>();
    map(document, "metadata", problems)
        .ifPresent(
            m -> values.addAll(KUBEVIRT_METADATA.read(m.mapping(), m.path(), problems).values()));
    Optional<Sub> configuration =
        map(document, "spec", problems).flatMap(spec -> map(spec, "configuration", problems));
    configuration
        .flatMap(c -> map(c, "developerConfiguration", problems))
        .ifPresent(
            d -> values.addAll(KUBEVIRT_DEVELOPER.read(d.mapping(), d.path(), problems).values()));
    configuration.ifPresent(c -> migrations(c, problems).ifPresent(values::add));
    configuration
        .flatMap(c -> map(c, "network", problems))
        .flatMap(n -> map(n, "binding", problems))
        .flatMap(b -> bindingPlugins(b, problems))
        .ifPresent(values::add);
    return Section.build(KubeVirt.builder(), KubeVirt.Builder::build, values, "", problems, before);
  }

  /**
   * Reads {@code spec.configuration.network.binding}: each key names a plugin; of its fields only
   * {@code migration} matters to migration (the others, such as {@code sidecarImage}, are known and
   * not read). A plugin with a {@code migration} map, even an empty one, is migratable, as in
   * KubeVirt.
   */
  private static Optional<Bound<KubeVirt.Builder>> bindingPlugins(Sub binding, Problems problems) {
    if (binding.mapping().entries().isEmpty()) {
      return Optional.empty();
    }
    int before = problems.count();
    List<NetworkBindingPlugin> plugins = new ArrayList<>();
    for (Tree.Entry entry : binding.mapping().entries()) {
      String path = Problems.child(binding.path(), entry.key());
      NetworkBindingPlugin.Builder plugin = NetworkBindingPlugin.builder().name(entry.key());
      if (entry.key().isBlank()) {
        problems.add(
            new ManifestException.Problem(
                path, null, path + " has a blank key but it must be the plugin's name"));
        continue;
      }
      if (Tree.isNull(entry.value())) {
        plugins.add(plugin.build());
        continue;
      }
      if (!(entry.value() instanceof Tree.Mapping fields)) {
        problems.invalid(path, entry.value(), "must be a map");
        continue;
      }
      Optional<Tree.Entry> migration = entry(fields, path, "migration", problems);
      if (migration.isPresent() && !Tree.isNull(migration.get().value())) {
        String migrationPath = Problems.child(path, migration.get().key());
        if (!(migration.get().value() instanceof Tree.Mapping block)) {
          problems.invalid(migrationPath, migration.get().value(), "must be a map");
          continue;
        }
        plugin.migratable(true);
        bindingMigrationMethod(block, migrationPath, problems).ifPresent(plugin::migrationMethod);
      }
      plugins.add(plugin.build());
    }
    if (problems.count() > before) {
      return Optional.empty();
    }
    List<NetworkBindingPlugin> read = List.copyOf(plugins);
    return Optional.of(
        new Bound<KubeVirt.Builder>(
            "bindingPlugins",
            binding.path(),
            binding.mapping(),
            read,
            b -> b.bindingPlugins(read)));
  }

  /** A plugin's {@code migration.method}: {@code link-refresh}, the one method KubeVirt defines. */
  private static Optional<BindingMigrationMethod> bindingMigrationMethod(
      Tree.Mapping block, String path, Problems problems) {
    Optional<Tree.Entry> method = entry(block, path, "method", problems);
    if (method.isEmpty() || Tree.isNull(method.get().value())) {
      return Optional.empty();
    }
    String methodPath = Problems.child(path, method.get().key());
    Tree node = method.get().value();
    if (node instanceof Tree.Scalar scalar && scalar.type() == Tree.ScalarType.STRING) {
      if (scalar.text().isEmpty()) {
        return Optional.empty();
      }
      Optional<BindingMigrationMethod> known = BindingMigrationMethod.fromWireName(scalar.text());
      if (known.isPresent()) {
        return known;
      }
    }
    problems.invalid(
        methodPath,
        node,
        "must be "
            + java.util.Arrays.stream(BindingMigrationMethod.values())
                .map(BindingMigrationMethod::wireName)
                .collect(Collectors.joining(", "))
            + " (the migration methods KubeVirt defines) or be left out");
    return Optional.empty();
  }

  /**
   * Reads {@code migrations} and the guide's {@code migrationConfiguration} spelling, merged; a
   * field given different values in both is a problem.
   */
  private static Optional<Bound<KubeVirt.Builder>> migrations(
      Sub configuration, Problems problems) {
    int before = problems.count();
    Map<String, Bound<MigrationConfiguration.Builder>> merged = new LinkedHashMap<>();
    List<Sub> blocks = new ArrayList<>();
    for (String name : List.of("migrations", "migrationConfiguration")) {
      Optional<Tree.Entry> entry =
          entry(configuration.mapping(), configuration.path(), name, problems);
      if (entry.isEmpty() || Tree.isNull(entry.get().value())) {
        continue;
      }
      String blockPath = Problems.child(configuration.path(), entry.get().key());
      if (!(entry.get().value() instanceof Tree.Mapping block)) {
        problems.invalid(blockPath, entry.get().value(), "must be a map");
        continue;
      }
      blocks.add(new Sub(block, blockPath));
      for (Bound<MigrationConfiguration.Builder> value :
          CONFIGURATION.read(block, blockPath, problems).values()) {
        Bound<MigrationConfiguration.Builder> earlier = merged.putIfAbsent(value.name(), value);
        if (earlier != null && !Objects.equals(earlier.value(), value.value())) {
          problems.invalid(
              value.path(),
              value.node(),
              "must equal "
                  + earlier.path()
                  + " ("
                  + earlier.node().describe()
                  + ") when both are given");
        }
      }
    }
    if (blocks.isEmpty()) {
      return Optional.empty();
    }
    Sub first = blocks.get(0);
    return Section.build(
            MigrationConfiguration.builder(),
            MigrationConfiguration.Builder::build,
            merged.values(),
            first.path(),
            problems,
            before)
        .map(
            config ->
                new Bound<KubeVirt.Builder>(
                    "migrations",
                    first.path(),
                    first.mapping(),
                    config,
                    b -> b.migrations(config)));
  }

  private static Optional<MigrationPolicy> policy(Sub document, Problems problems) {
    int before = problems.count();
    List<Bound<MigrationPolicy.Builder>> values = new ArrayList<>();
    map(document, "metadata", problems)
        .ifPresent(
            m -> values.addAll(POLICY_METADATA.read(m.mapping(), m.path(), problems).values()));
    map(document, "spec", problems)
        .ifPresent(s -> values.addAll(POLICY_SPEC.read(s.mapping(), s.path(), problems).values()));
    return Section.build(
        MigrationPolicy.builder(), MigrationPolicy.Builder::build, values, "", problems, before);
  }

  /** A migration's configuration: the fields of KubeVirt's {@code migrations} block. */
  static Optional<MigrationConfiguration> configuration(Tree node, String path, Problems problems) {
    return nested(CONFIGURATION, node, path, problems)
        .flatMap(
            values ->
                Section.build(
                    MigrationConfiguration.builder(),
                    MigrationConfiguration.Builder::build,
                    values,
                    path,
                    problems,
                    problems.count()));
  }
}
