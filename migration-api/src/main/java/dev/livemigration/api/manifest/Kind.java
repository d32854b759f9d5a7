package dev.livemigration.api.manifest;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The kinds of manifest that carry {@code apiVersion} and {@code kind}. */
enum Kind {
  VIRTUAL_MACHINE_INSTANCE_MIGRATION(
      "VirtualMachineInstanceMigration",
      List.of(),
      VirtualMachineInstanceMigration.class,
      List.of("kubevirt.io/v1", "kubevirt.io/v1alpha3")),
  KUBE_VIRT(
      "KubeVirt",
      List.of("Kubevirt"),
      KubeVirt.class,
      List.of("kubevirt.io/v1", "kubevirt.io/v1alpha3")),
  MIGRATION_POLICY(
      "MigrationPolicy",
      List.of(),
      MigrationPolicy.class,
      List.of("migrations.kubevirt.io/v1alpha1")),
  VIRTUAL_MACHINE_INSTANCE(
      "VirtualMachineInstance",
      List.of(),
      VirtualMachineInstance.class,
      List.of("kubevirt.io/v1", "kubevirt.io/v1alpha3")),
  PERSISTENT_VOLUME_CLAIM(
      "PersistentVolumeClaim", List.of(), PersistentVolumeClaim.class, List.of("v1"));

  final String kind;
  final List<String> otherSpellings;
  final Class<?> type;
  final List<String> apiVersions;

  Kind(String kind, List<String> otherSpellings, Class<?> type, List<String> apiVersions) {
    this.kind = kind;
    this.otherSpellings = otherSpellings;
    this.type = type;
    this.apiVersions = apiVersions;
  }

  /** Returns the kind written {@code text}, in its usual or another accepted spelling. */
  static Optional<Kind> of(String text) {
    return Stream.of(values())
        .filter(k -> k.kind.equals(text) || k.otherSpellings.contains(text))
        .findFirst();
  }

  /** Returns the kind whose value type is {@code type}. */
  static Optional<Kind> of(Class<?> type) {
    return Stream.of(values()).filter(k -> k.type == type).findFirst();
  }

  /** The kinds' names, comma separated. */
  static String names() {
    return Stream.of(values()).map(k -> k.kind).collect(Collectors.joining(", "));
  }
}
