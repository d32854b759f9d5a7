package dev.livemigration.api.spi;

import dev.livemigration.api.DowntimeTuning;
import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.Node;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a backend needs to run one migration.
 *
 * @param migrationUid the migration's unique id
 * @param request the request that started it
 * @param vmi the VMI being migrated, as it was at admission
 * @param method whether disks must be copied too
 * @param source the node the VMI runs on
 * @param target the node the VMI moves to
 * @param configuration the effective configuration (cluster plus policy): bandwidth, TLS, network,
 *     post-copy and auto-converge permissions
 */
public record MigrationSpec(
    String migrationUid,
    VirtualMachineInstanceMigration request,
    VirtualMachineInstance vmi,
    MigrationMethod method,
    Node source,
    Node target,
    MigrationConfiguration configuration) {

  /** Checks that no component is null. */
  public MigrationSpec {
    Objects.requireNonNull(migrationUid, "migrationUid");
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(vmi, "vmi");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(configuration, "configuration");
  }

  /**
   * Returns the switch-over downtime limit a backend starts the migration with: {@link
   * DowntimeTuning#initialMs()} when the configuration asks for a downtime ramp (the engine then
   * raises it with {@link dev.livemigration.api.Directive.SetMaxDowntime}), else {@link
   * MigrationConfiguration#maxDowntimeMs()}.
   */
  public Duration initialMaxDowntime() {
    long max = configuration.maxDowntimeMs();
    long initial =
        configuration
            .experimental()
            .flatMap(ExperimentalMigrationOptions::downtimeTuning)
            .map(t -> Math.min(t.initialMs(), max))
            .orElse(max);
    return Duration.ofMillis(initial);
  }

  /** Returns the address the target should receive on: the migration network's, if any. */
  public String targetAddress() {
    return target.addressFor(configuration);
  }
}
