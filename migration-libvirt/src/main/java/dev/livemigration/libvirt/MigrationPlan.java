package dev.livemigration.libvirt;

import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.MigrationCompression;
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
 *   <li>{@code PARALLEL | COMPRESSED} with {@code compression zstd} for {@code
 *       experimental.compression: zstd} when {@link #zstdUnavailable} finds nothing against it
 *       (libvirt takes zstd only for parallel, that is multifd, migrations, from 9.4.0 on);
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
  /**
   * {@code VIR_MIGRATE_POSTCOPY_RESUME} (libvirt 8.5.0): resumes a post-copy migration whose link
   * broke, with the flags and parameters of the call that started it plus this one; libvirt-java
   * 0.5.4 has no constant for it.
   */
  static final int POSTCOPY_RESUME = 1 << 19;

  /** One MiB, libvirt's unit of migration bandwidth. */
  static final long MIB = 1L << 20;

  /** libvirt's largest migration bandwidth for QEMU, meaning unlimited: INT64_MAX / 1 MiB. */
  static final long UNLIMITED_BANDWIDTH_MIB = Long.MAX_VALUE / MIB;

  /** The first libvirt version that takes {@code compression zstd} (with {@code PARALLEL}). */
  static final long MULTIFD_ZSTD_SINCE = 9_004_000;

  /** libvirt's compression method for {@link MigrationCompression#ZSTD}. */
  static final String ZSTD = "zstd";

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
    return of(spec, peerToPeer, parallelConnections, persistent, false);
  }

  /**
   * Plans a migration.
   *
   * @param spec the migration
   * @param peerToPeer whether the source daemon drives the migration itself
   * @param parallelConnections how many connections to move memory over; 0 or 1 for one
   * @param persistent whether the domain is defined (persistent) on the source
   * @param zstd whether to compress with zstd over a parallel (multifd) migration: {@code
   *     experimental.compression} is zstd and {@link #zstdUnavailable} found nothing against it
   */
  static MigrationPlan of(
      MigrationSpec spec,
      boolean peerToPeer,
      int parallelConnections,
      boolean persistent,
      boolean zstd) {
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
    if (zstd && !config.allowPostCopy()) {
      // Without parallel.connections QEMU opens its default number of multifd channels (2).
      flags |= MigrateFlags.PARALLEL | MigrateFlags.COMPRESSED;
      parameters.add(
          new TypedStringParameter(DomainMigrateParameters.VIR_MIGRATE_PARAM_COMPRESSION, ZSTD));
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

  /** Returns whether the configuration asks for zstd compression. */
  static boolean zstdRequested(MigrationConfiguration config) {
    return config
        .experimental()
        .flatMap(ExperimentalMigrationOptions::compression)
        .filter(c -> c == MigrationCompression.ZSTD)
        .isPresent();
  }

  /**
   * Returns why {@code experimental.compression: zstd} cannot be applied, if it cannot: zstd needs
   * a parallel (multifd) migration, which QEMU (7.2 at least) and libvirt do not combine with
   * post-copy, and libvirt takes {@code compression zstd} only from 9.4.0 on (before, its QEMU
   * driver knows {@code xbzrle} and {@code mt} only, and refuses the migration with "Unsupported
   * compression method 'zstd'"), on both hosts.
   *
   * @param config the effective configuration
   * @param sourceVersion the source daemon's libvirt version ({@code virConnectGetLibVersion})
   * @param targetVersion the target daemon's
   */
  static Optional<String> zstdUnavailable(
      MigrationConfiguration config, long sourceVersion, long targetVersion) {
    if (!zstdRequested(config)) {
      return Optional.empty();
    }
    if (config.allowPostCopy()) {
      return Optional.of(
          "zstd compression needs a parallel (multifd) migration, which QEMU and libvirt do not"
              + " combine with post-copy (allowPostCopy true)");
    }
    long oldest = Math.min(sourceVersion, targetVersion);
    if (oldest < MULTIFD_ZSTD_SINCE) {
      return Optional.of(
          "libvirt takes zstd compression (for parallel migrations) from 9.4.0 on, and "
              + (sourceVersion <= targetVersion ? "the source" : "the target")
              + " runs libvirt "
              + version(oldest));
    }
    return Optional.empty();
  }

  /** Returns libvirt's version number (major * 1,000,000 + minor * 1,000 + release) as text. */
  static String version(long number) {
    return (number / 1_000_000) + "." + (number / 1_000 % 1_000) + "." + (number % 1_000);
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
      {MigrateFlags.COMPRESSED, "COMPRESSED"},
      {MigrateFlags.AUTO_CONVERGE, "AUTO_CONVERGE"},
      {MigrateFlags.POSTCOPY, "POSTCOPY"},
      {MigrateFlags.TLS, "TLS"},
      {MigrateFlags.PARALLEL, "PARALLEL"},
      {POSTCOPY_RESUME, "POSTCOPY_RESUME"}
    };
    for (Object[] flag : known) {
      if (has((Integer) flag[0])) {
        names.add((String) flag[1]);
      }
    }
    return names;
  }
}
