package dev.livemigration.examples.cli;

import dev.livemigration.api.VirtualMachineInstanceMigration;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** A VMI by name and namespace, as {@code virtctl} takes it: {@code VMI [-n NAMESPACE]}. */
final class VmiOptions {
  @Parameters(paramLabel = "VMI", description = "the VMI")
  String name;

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NAMESPACE",
      defaultValue = VirtualMachineInstanceMigration.DEFAULT_NAMESPACE,
      description = "the VMI's namespace (default: ${DEFAULT-VALUE})")
  String namespace;
}
