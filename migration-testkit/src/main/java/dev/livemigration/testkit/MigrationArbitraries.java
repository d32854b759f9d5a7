package dev.livemigration.testkit;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import dev.livemigration.testkit.model.GuestProfile;
import java.time.Duration;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;

/**
 * jqwik arbitraries for the model: configurations, policies, VMIs and dirty profiles, all valid by
 * construction, for property tests of code that embeds the engine.
 *
 * <pre>{@code
 * @Property
 * void anyConfigurationIsAccepted(@ForAll("configurations") MigrationConfiguration config) { ... }
 *
 * @Provide
 * Arbitrary<MigrationConfiguration> configurations() {
 *   return MigrationArbitraries.configurations();
 * }
 * }</pre>
 */
public final class MigrationArbitraries {
  private static final String[] LABEL_KEYS = {"tier", "workload-type", "team", "zone"};
  private static final String[] LABEL_VALUES = {"db", "web", "hpc", "a", "b"};

  private MigrationArbitraries() {}

  /** Bandwidths from 0 (unlimited) to 10Gi per second, in whole MiB or as round quantities. */
  public static Arbitrary<Quantity> bandwidths() {
    return Arbitraries.oneOf(
        Arbitraries.longs().between(0, 10_240).map(Quantity::ofMebibytes),
        Arbitraries.of("0", "64Mi", "1Gi", "500M", "217Ki", "1e9").map(Quantity::parse));
  }

  /** Whole-second timeouts from 1 s to a day. */
  public static Arbitrary<Duration> timeouts() {
    return Arbitraries.longs().between(1, 86_400).map(Duration::ofSeconds);
  }

  /** Valid cluster configurations, every field varied. */
  public static Arbitrary<MigrationConfiguration> configurations() {
    return Builders.withBuilder(MigrationConfiguration::builder)
        .use(Arbitraries.integers().between(1, 100))
        .in((b, v) -> b.parallelMigrationsPerCluster(v))
        .use(Arbitraries.integers().between(1, 20))
        .in((b, v) -> b.parallelOutboundMigrationsPerNode(v))
        .use(bandwidths())
        .in((b, v) -> b.bandwidthPerMigration(v))
        .use(timeouts())
        .in((b, v) -> b.completionTimeoutPerGiB(v))
        .use(timeouts())
        .in((b, v) -> b.progressTimeout(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.disableTLS(v))
        .use(Arbitraries.of("kubevirt.io/drain", "example.com/evacuate"))
        .in((b, v) -> b.nodeDrainTaintKey(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.allowAutoConverge(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.allowPostCopy(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.unsafeMigrationOverride(v))
        .use(Arbitraries.of("migration-network", "mig.net-2"))
        .withProbability(0.3)
        .in((b, v) -> b.network(v))
        .build(MigrationConfiguration.Builder::build);
  }

  /** Label maps of up to three labels from a small vocabulary, so that selectors often match. */
  public static Arbitrary<Map<String, String>> labels() {
    return Arbitraries.maps(Arbitraries.of(LABEL_KEYS), Arbitraries.of(LABEL_VALUES)).ofMaxSize(3);
  }

  /** Valid policies with random selectors and overrides. */
  public static Arbitrary<MigrationPolicy> policies() {
    return Builders.withBuilder(MigrationPolicy::builder)
        .use(Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12))
        .in((b, v) -> b.name(v))
        .use(labels())
        .in((b, v) -> b.namespaceSelector(v))
        .use(labels())
        .in((b, v) -> b.virtualMachineInstanceSelector(v))
        .use(Arbitraries.of(true, false))
        .withProbability(0.5)
        .in((b, v) -> b.allowAutoConverge(v))
        .use(bandwidths())
        .withProbability(0.5)
        .in((b, v) -> b.bandwidthPerMigration(v))
        .use(timeouts())
        .withProbability(0.5)
        .in((b, v) -> b.completionTimeoutPerGiB(v))
        .use(Arbitraries.of(true, false))
        .withProbability(0.5)
        .in((b, v) -> b.allowPostCopy(v))
        .build(MigrationPolicy.Builder::build);
  }

  /** Running VMIs on {@code node01}…{@code node05}, with shared or local disks and labels. */
  public static Arbitrary<VirtualMachineInstance> vmis() {
    Arbitrary<Volume> volumes =
        Arbitraries.oneOf(
            Arbitraries.of(AccessMode.values())
                .map(
                    mode ->
                        Volume.builder()
                            .name("claim")
                            .type(VolumeType.PERSISTENT_VOLUME_CLAIM)
                            .addAccessModes(mode)
                            .build()),
            Arbitraries.longs()
                .between(1, 4096)
                .map(
                    mib ->
                        Volume.builder()
                            .name("scratch")
                            .type(VolumeType.EMPTY_DISK)
                            .size(Quantity.ofMebibytes(mib))
                            .build()));
    return Combinators.combine(
            Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(10),
            Arbitraries.integers().between(1, 5),
            Arbitraries.longs().between(64, 16_384),
            volumes.list().ofMaxSize(2).uniqueElements(Volume::name),
            labels())
        .as(
            (name, node, memoryMib, disks, labels) ->
                VirtualMachineInstance.builder()
                    .name("vmi-" + name)
                    .nodeName(String.format("node%02d", node))
                    .memory(Quantity.ofMebibytes(memoryMib))
                    .volumes(disks)
                    .labels(labels)
                    .build());
  }

  /** Dirty profiles from idle to 1 GiB/s over working sets of 1 MiB to 4 GiB. */
  public static Arbitrary<GuestProfile> dirtyProfiles() {
    return Combinators.combine(
            Arbitraries.longs().between(0, 1L << 30),
            Arbitraries.longs().between(1L << 20, 4L << 30))
        .as(GuestProfile::new);
  }
}
