package dev.livemigration.examples.cli;

import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.manifest.Manifests;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What to migrate, as {@code virtctl migrate VMI} or {@code kubectl create -f migration.yaml}: a
 * VMI name (the migration is then called {@code migration-VMI}) or a {@code
 * VirtualMachineInstanceMigration} manifest.
 */
final class RequestOptions {
  @Parameters(arity = "0..1", paramLabel = "VMI", description = "the VMI to migrate")
  String vmi;

  @Option(
      names = {"-f", "--filename"},
      paramLabel = "FILE",
      description = "a VirtualMachineInstanceMigration manifest, instead of a VMI name")
  Path file;

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NAMESPACE",
      description = "the VMI's namespace, with a VMI name (default: default)")
  String namespace;

  /**
   * The migration asked for.
   *
   * @throws IllegalArgumentException if neither or both of a VMI name and {@code -f} are given, or
   *     {@code -n} is given with {@code -f} (the manifest has its namespace)
   */
  VirtualMachineInstanceMigration request() {
    if (file == null && vmi == null) {
      throw new IllegalArgumentException("give a VMI name or -f FILE, but neither was given");
    }
    if (file != null && vmi != null) {
      throw new IllegalArgumentException(
          "give a VMI name or -f FILE, not both, but was '" + vmi + "' and -f " + file);
    }
    if (file != null) {
      if (namespace != null) {
        throw new IllegalArgumentException(
            "-n must not be given with -f (the manifest's metadata.namespace applies), but was '"
                + namespace
                + "'");
      }
      return Manifests.read(file, VirtualMachineInstanceMigration.class);
    }
    return VirtualMachineInstanceMigration.builder()
        .namespace(
            namespace == null ? VirtualMachineInstanceMigration.DEFAULT_NAMESPACE : namespace)
        .name("migration-" + vmi)
        .vmiName(vmi)
        .build();
  }
}
