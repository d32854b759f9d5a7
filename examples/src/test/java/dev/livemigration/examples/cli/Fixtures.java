package dev.livemigration.examples.cli;

/** Manifests the CLI's tests feed it. */
final class Fixtures {
  /** The guide's VirtualMachineInstanceMigration. */
  static final String MIGRATION_JOB =
      """
      apiVersion: kubevirt.io/v1
      kind: VirtualMachineInstanceMigration
      metadata:
        name: migration-job
      spec:
        vmiName: vmi-fedora
      """;

  private Fixtures() {}

  /** The guide's KubeVirt CR with these lines under {@code spec.configuration.migrations}. */
  static String kubeVirt(String... migrationSettings) {
    StringBuilder text =
        new StringBuilder(
            """
            apiVersion: kubevirt.io/v1
            kind: KubeVirt
            metadata:
              name: kubevirt
              namespace: kubevirt
            spec:
              configuration:
                migrations:
            """);
    for (String setting : migrationSettings) {
      text.append("      ").append(setting).append('\n');
    }
    return text.toString();
  }
}
