package dev.livemigration.libvirt;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.Volume;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.core.strategy.Strategies;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.libvirt.Domain.DomainMigrateParameters;
import org.libvirt.Domain.MigrateFlags;
import org.libvirt.TypedIntParameter;
import org.libvirt.TypedParameter;
import org.libvirt.TypedStringParameter;
import org.libvirt.TypedUlongParameter;

/**
 * The libvirt flags and typed parameters of one migration, derived from the effective
 * configuration, the migration method, the target's address and the backend's settings:
 *
 * <ul>
 *   <li>{@code VIR_MIGRATE_LIVE} always; {@code PEER2PEER} unless the backend is set to managed
 *       (client-driven) migrations; {@code PERSIST_DEST | UNDEFINE_SOURCE} for a persistent domain,
 *       so that its definition moves with it;
 *   <li>{@code TLS} unless {@code disableTLS};
 *   <li>{@code AUTO_CONVERGE} with {@code auto_converge.initial} and {@code .increment} set to the
 *       engine's {@link Strategies#INITIAL_THROTTLE_PERCENT} and {@link
 *       Strategies#THROTTLE_INCREMENT_PERCENT} when {@code allowAutoConverge};
 *   <li>{@code POSTCOPY} when {@code allowPostCopy} (it only enables the later switch);
 *   <li>{@code PARALLEL} with {@code parallel.connections} when the backend asks for more than one
 *       connection, unless post-copy is allowed (QEMU cannot combine the two);
 *   <li>{@code NON_SHARED_DISK} with {@code migrate_disks} naming every node-local volume for a
 *       {@link MigrationMethod#BLOCK_MIGRATION};
 *   <li>{@code UNSAFE} only with {@code unsafeMigrationOverride};
 *   <li>{@code bandwidth} in MiB/s from {@code bandwidthPerMigration} (rounded up; 0 is libvirt's
 *       largest value, that is unlimited);
 *   <li>{@code migrate_uri tcp://<address>} and {@code listen_address <address>} with the target's
 *       address, the migration network's when one is configured.
 * </ul>
 *
 * @param flags the {@code virDomainMigrateFlags}
 * @param parameters the typed parameters, in the order given to libvirt
 */
record MigrationPlan(int flags, List<TypedParameter> parameters) {
  /** One MiB, libvirt's unit of migration bandwidth. */
  static final long MIB = 1L << 20;

  /** libvirt's largest migration bandwidth for QEMU, meaning unlimited: INT64_MAX / 1 MiB. */
  static final long UNLIMITED_BANDWIDTH_MIB = Long.MAX_VALUE / MIB;

  /** Copies the parameters. */
  MigrationPlan {
    parameters = List.copyOf(parameters);
  }

  /**
   * Plans a migration.
   *
   * @param spec the migration
   * @param peerToPeer whether the source daemon drives the migration itself
   * @param parallelConnections how many connections to move memory over; 0 or 1 for one
   * @param persistent whether the domain is defined (persistent) on the source
   */
  static MigrationPlan of(
      MigrationSpec spec, boolean peerToPeer, int parallelConnections, boolean persistent) {
    MigrationConfiguration config = spec.configuration();
    int flags = MigrateFlags.LIVE;
    List<TypedParameter> parameters = new ArrayList<>();
    if (peerToPeer) {
      flags |= MigrateFlags.PEER2PEER;
    }
    if (persistent) {
      flags |= MigrateFlags.PERSIST_DEST | MigrateFlags.UNDEFINE_SOURCE;
    }
    if (!config.disableTLS()) {
      flags |= MigrateFlags.TLS;
    }
    if (config.allowAutoConverge()) {
      flags |= MigrateFlags.AUTO_CONVERGE;
      parameters.add(
          new TypedIntParameter(
              DomainMigrateParameters.VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL,
              Strategies.INITIAL_THROTTLE_PERCENT));
      parameters.add(
          new TypedIntParameter(
              DomainMigrateParameters.VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT,
              Strategies.THROTTLE_INCREMENT_PERCENT));
    }
    if (config.allowPostCopy()) {
      flags |= MigrateFlags.POSTCOPY;
    } else if (parallelConnections > 1) {
      flags |= MigrateFlags.PARALLEL;
      parameters.add(
          new TypedIntParameter(
              DomainMigrateParameters.VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS, parallelConnections));
    }
    if (spec.method() == MigrationMethod.BLOCK_MIGRATION) {
      flags |= MigrateFlags.NON_SHARED_DISK;
      for (Volume volume : spec.vmi().volumes()) {
        if (volume.type().isNodeLocal()) {
          parameters.add(
              new TypedStringParameter(
                  DomainMigrateParameters.VIR_MIGRATE_PARAM_MIGRATE_DISKS, volume.name()));
        }
      }
    }
    if (config.unsafeMigrationOverride()) {
      flags |= MigrateFlags.UNSAFE;
    }
    parameters.add(
        new TypedUlongParameter(
            DomainMigrateParameters.VIR_MIGRATE_PARAM_BANDWIDTH,
            bandwidthMib(config.bandwidthPerMigration().bytes())));
    String address = spec.targetAddress();
    parameters.add(
        new TypedStringParameter(DomainMigrateParameters.VIR_MIGRATE_PARAM_URI, uri(address)));
    parameters.add(
        new TypedStringParameter(
            DomainMigrateParameters.VIR_MIGRATE_PARAM_LISTEN_ADDRESS, address));
    return new MigrationPlan(flags, parameters);
  }

  /** Returns libvirt's bandwidth in MiB/s for bytes per second: rounded up, 0 is unlimited. */
  static long bandwidthMib(long bytesPerSecond) {
    if (bytesPerSecond <= 0) {
      return UNLIMITED_BANDWIDTH_MIB;
    }
    return Math.min(UNLIMITED_BANDWIDTH_MIB, (bytesPerSecond + MIB - 1) / MIB);
  }

  /** Returns QEMU's migration URI for an address: {@code tcp://host}, IPv6 in brackets. */
  static String uri(String address) {
    return address.contains(":") && !address.startsWith("[")
        ? "tcp://[" + address + "]"
        : "tcp://" + address;
  }

  /** Returns whether every bit of {@code flag} is set. */
  boolean has(int flag) {
    return (flags & flag) == flag;
  }

  /** Returns the first parameter with this name, as libvirt-java holds it. */
  Optional<TypedParameter> parameter(String name) {
    return parameters.stream().filter(p -> p.field.equals(name)).findFirst();
  }

  /** Returns every value of the parameters with this name, as strings. */
  List<String> values(String name) {
    return parameters.stream()
        .filter(p -> p.field.equals(name))
        .map(TypedParameter::getValueAsString)
        .toList();
  }

  /** Returns the parameters as {@code name=value} text, for logs. */
  Map<String, List<String>> describe() {
    Map<String, List<String>> described = new LinkedHashMap<>();
    for (TypedParameter p : parameters) {
      described.computeIfAbsent(p.field, k -> new ArrayList<>()).add(p.getValueAsString());
    }
    return described;
  }

  /** Returns the names of the set flags, for logs. */
  List<String> flagNames() {
    List<String> names = new ArrayList<>();
    Object[][] known = {
      {MigrateFlags.LIVE, "LIVE"},
      {MigrateFlags.PEER2PEER, "PEER2PEER"},
      {MigrateFlags.PERSIST_DEST, "PERSIST_DEST"},
      {MigrateFlags.UNDEFINE_SOURCE, "UNDEFINE_SOURCE"},
      {MigrateFlags.NON_SHARED_DISK, "NON_SHARED_DISK"},
      {MigrateFlags.UNSAFE, "UNSAFE"},
      {MigrateFlags.AUTO_CONVERGE, "AUTO_CONVERGE"},
      {MigrateFlags.POSTCOPY, "POSTCOPY"},
      {MigrateFlags.TLS, "TLS"},
      {MigrateFlags.PARALLEL, "PARALLEL"}
    };
    for (Object[] flag : known) {
      if (has((Integer) flag[0])) {
        names.add((String) flag[1]);
      }
    }
    return names;
  }
}
