package dev.livemigration.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.MigrationCompression;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.Node;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.core.Admission;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.libvirt.Domain.DomainMigrateParameters;

@DisplayName("A migration plan maps the effective configuration to libvirt")
class MigrationPlanTest {
  // libvirt's virDomainMigrateFlags, as the C header defines them.
  static final int LIVE = 1;
  static final int PEER2PEER = 2;
  static final int PERSIST_DEST = 8;
  static final int UNDEFINE_SOURCE = 16;
  static final int NON_SHARED_DISK = 64;
  static final int UNSAFE = 512;
  static final int AUTO_CONVERGE = 8192;
  static final int POSTCOPY = 32768;
  static final int TLS = 65536;
  static final int PARALLEL = 131072;
  static final int COMPRESSED = 2048;

  static final Node SOURCE = Node.builder().name("node-a").address("10.0.0.1").build();
  static final Node TARGET =
      Node.builder().name("node-b").address("10.0.0.2").migrationAddress("192.168.50.2").build();

  static VirtualMachineInstance vmi(Volume... volumes) {
    return VirtualMachineInstance.builder()
        .name("web")
        .nodeName("node-a")
        .memory(Quantity.ofMebibytes(128))
        .addVolumes(volumes)
        .build();
  }

  static MigrationSpec spec(MigrationConfiguration config, VirtualMachineInstance vmi) {
    return new MigrationSpec(
        "uid-1",
        VirtualMachineInstanceMigration.of("job", vmi.name()),
        vmi,
        Admission.method(vmi),
        SOURCE,
        TARGET,
        config);
  }

  static MigrationPlan plan(MigrationConfiguration config) {
    return MigrationPlan.of(spec(config, vmi()), true, 0, false);
  }

  @Test
  @DisplayName("libvirt-java's flag constants are libvirt's")
  void flagConstants() {
    assertThat(org.libvirt.Domain.MigrateFlags.LIVE).isEqualTo(LIVE);
    assertThat(org.libvirt.Domain.MigrateFlags.PEER2PEER).isEqualTo(PEER2PEER);
    assertThat(org.libvirt.Domain.MigrateFlags.NON_SHARED_DISK).isEqualTo(NON_SHARED_DISK);
    assertThat(org.libvirt.Domain.MigrateFlags.UNSAFE).isEqualTo(UNSAFE);
    assertThat(org.libvirt.Domain.MigrateFlags.AUTO_CONVERGE).isEqualTo(AUTO_CONVERGE);
    assertThat(org.libvirt.Domain.MigrateFlags.POSTCOPY).isEqualTo(POSTCOPY);
    assertThat(org.libvirt.Domain.MigrateFlags.TLS).isEqualTo(TLS);
    assertThat(org.libvirt.Domain.MigrateFlags.PARALLEL).isEqualTo(PARALLEL);
    assertThat(org.libvirt.Domain.MigrateFlags.COMPRESSED).isEqualTo(COMPRESSED);
  }

  @Nested
  @DisplayName("with KubeVirt's defaults")
  class Defaults {
    final MigrationPlan plan = plan(MigrationConfiguration.defaults());

    @Test
    @DisplayName("migrates live, peer-to-peer, over TLS, and nothing else")
    void flags() {
      assertThat(plan.flags()).isEqualTo(LIVE | PEER2PEER | TLS);
    }

    @Test
    @DisplayName("limits the bandwidth to 64 MiB/s")
    void bandwidth() {
      assertThat(plan.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_BANDWIDTH))
          .containsExactly("64");
    }

    @Test
    @DisplayName("sends to and listens on the target's primary address")
    void address() {
      assertThat(plan.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_URI))
          .containsExactly("tcp://10.0.0.2");
      assertThat(plan.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_LISTEN_ADDRESS))
          .containsExactly("10.0.0.2");
    }
  }

  @Test
  @DisplayName("TLS is on unless disableTLS")
  void tls() {
    assertThat(plan(MigrationConfiguration.defaults()).has(TLS)).isTrue();
    assertThat(plan(MigrationConfiguration.builder().disableTLS(true).build()).has(TLS)).isFalse();
  }

  @Test
  @DisplayName("auto-converge starts at the engine's initial step and increment")
  void autoConverge() {
    MigrationPlan plan = plan(MigrationConfiguration.builder().allowAutoConverge(true).build());
    assertThat(plan.has(AUTO_CONVERGE)).isTrue();
    assertThat(plan.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL))
        .containsExactly("20");
    assertThat(plan.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT))
        .containsExactly("10");
    assertThat(plan(MigrationConfiguration.defaults()).has(AUTO_CONVERGE)).isFalse();
  }

  @Test
  @DisplayName("post-copy is enabled only when allowed")
  void postCopy() {
    assertThat(plan(MigrationConfiguration.builder().allowPostCopy(true).build()).has(POSTCOPY))
        .isTrue();
    assertThat(plan(MigrationConfiguration.defaults()).has(POSTCOPY)).isFalse();
  }

  @Test
  @DisplayName("unsafe only with unsafeMigrationOverride")
  void unsafe() {
    assertThat(
            plan(MigrationConfiguration.builder().unsafeMigrationOverride(true).build())
                .has(UNSAFE))
        .isTrue();
    assertThat(plan(MigrationConfiguration.defaults()).has(UNSAFE)).isFalse();
  }

  @Test
  @DisplayName("parallel connections when asked for, but not with post-copy")
  void parallel() {
    MigrationSpec spec = spec(MigrationConfiguration.defaults(), vmi());
    MigrationPlan parallel = MigrationPlan.of(spec, true, 4, false);
    assertThat(parallel.has(PARALLEL)).isTrue();
    assertThat(parallel.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS))
        .containsExactly("4");
    assertThat(MigrationPlan.of(spec, true, 1, false).has(PARALLEL)).isFalse();
    MigrationSpec postCopy =
        spec(MigrationConfiguration.builder().allowPostCopy(true).build(), vmi());
    assertThat(MigrationPlan.of(postCopy, true, 4, false).has(PARALLEL)).isFalse();
  }

  @Test
  @DisplayName("managed migrations are not peer-to-peer; persistent domains move their definition")
  void managedAndPersistent() {
    MigrationSpec spec = spec(MigrationConfiguration.defaults(), vmi());
    MigrationPlan plan = MigrationPlan.of(spec, false, 0, true);
    assertThat(plan.has(PEER2PEER)).isFalse();
    assertThat(plan.has(PERSIST_DEST | UNDEFINE_SOURCE)).isTrue();
  }

  @Test
  @DisplayName("a block migration copies exactly the node-local disks")
  void blockMigration() {
    VirtualMachineInstance vmi =
        vmi(
            Volume.builder()
                .name("vda")
                .type(VolumeType.HOST_DISK)
                .size(Quantity.ofMebibytes(32))
                .build(),
            Volume.builder()
                .name("vdb")
                .type(VolumeType.PERSISTENT_VOLUME_CLAIM)
                .addAccessModes(AccessMode.READ_WRITE_MANY)
                .build(),
            Volume.builder().name("vdc").type(VolumeType.EMPTY_DISK).build());
    MigrationSpec spec = spec(MigrationConfiguration.defaults(), vmi);
    assertThat(spec.method()).isEqualTo(MigrationMethod.BLOCK_MIGRATION);
    MigrationPlan plan = MigrationPlan.of(spec, true, 0, false);
    assertThat(plan.has(NON_SHARED_DISK)).isTrue();
    assertThat(plan.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_MIGRATE_DISKS))
        .containsExactly("vda", "vdc");
    assertThat(plan(MigrationConfiguration.defaults()).has(NON_SHARED_DISK)).isFalse();
  }

  @Test
  @DisplayName("with a migration network, the target's migration address is used")
  void migrationNetwork() {
    MigrationPlan plan =
        plan(MigrationConfiguration.builder().network("migration-network").build());
    assertThat(plan.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_URI))
        .containsExactly("tcp://192.168.50.2");
    assertThat(plan.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_LISTEN_ADDRESS))
        .containsExactly("192.168.50.2");
  }

  @Test
  @DisplayName("bandwidth is rounded up to whole MiB/s, and 0 is libvirt's unlimited")
  void bandwidthConversion() {
    assertThat(MigrationPlan.bandwidthMib(0)).isEqualTo(8796093022207L);
    assertThat(MigrationPlan.bandwidthMib(1)).isEqualTo(1);
    assertThat(MigrationPlan.bandwidthMib(1L << 20)).isEqualTo(1);
    assertThat(MigrationPlan.bandwidthMib((1L << 20) + 1)).isEqualTo(2);
    assertThat(
            plan(MigrationConfiguration.builder().bandwidthPerMigration(Quantity.ZERO).build())
                .values(DomainMigrateParameters.VIR_MIGRATE_PARAM_BANDWIDTH))
        .containsExactly("8796093022207");
  }

  @Test
  @DisplayName("IPv6 addresses are bracketed in the migration URI")
  void ipv6() {
    assertThat(MigrationPlan.uri("fd00::2")).isEqualTo("tcp://[fd00::2]");
    assertThat(MigrationPlan.uri("127.0.0.1")).isEqualTo("tcp://127.0.0.1");
  }

  @Test
  @DisplayName("flag names describe the plan for logs")
  void names() {
    assertThat(plan(MigrationConfiguration.defaults()).flagNames())
        .isEqualTo(List.of("LIVE", "PEER2PEER", "TLS"));
  }

  @Nested
  @DisplayName("experimental.compression: zstd")
  class Zstd {
    final MigrationConfiguration zstd =
        MigrationConfiguration.builder()
            .experimental(
                ExperimentalMigrationOptions.builder()
                    .compression(MigrationCompression.ZSTD)
                    .build())
            .build();

    @Test
    @DisplayName("where libvirt takes it: PARALLEL | COMPRESSED with compression zstd")
    void applied() {
      assertThat(MigrationPlan.zstdUnavailable(zstd, 9_004_000, 10_000_000)).isEmpty();
      MigrationPlan plan = MigrationPlan.of(spec(zstd, vmi()), true, 0, false, true);
      assertThat(plan.has(PARALLEL | COMPRESSED)).isTrue();
      assertThat(plan.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_COMPRESSION))
          .containsExactly("zstd");
      assertThat(plan.parameter(DomainMigrateParameters.VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS))
          .as("QEMU's default number of multifd channels")
          .isEmpty();
      assertThat(plan.flagNames()).contains("PARALLEL", "COMPRESSED");
      MigrationPlan four = MigrationPlan.of(spec(zstd, vmi()), true, 4, false, true);
      assertThat(four.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS))
          .containsExactly("4");
      assertThat(four.values(DomainMigrateParameters.VIR_MIGRATE_PARAM_COMPRESSION))
          .containsExactly("zstd");
    }

    @Test
    @DisplayName("libvirt before 9.4.0 on either host, or post-copy allowed: not applied, and why")
    void fallback() {
      assertThat(MigrationPlan.zstdUnavailable(zstd, 9_000_000, 9_004_000))
          .hasValueSatisfying(why -> assertThat(why).contains("9.4.0", "the source", "9.0.0"));
      assertThat(MigrationPlan.zstdUnavailable(zstd, 9_004_000, 8_000_001))
          .hasValueSatisfying(why -> assertThat(why).contains("the target", "8.0.1"));
      MigrationConfiguration postCopy =
          MigrationConfiguration.builder().from(zstd).allowPostCopy(true).build();
      assertThat(MigrationPlan.zstdUnavailable(postCopy, 10_000_000, 10_000_000))
          .hasValueSatisfying(why -> assertThat(why).contains("post-copy"));
      assertThat(MigrationPlan.zstdUnavailable(MigrationConfiguration.defaults(), 9_000_000, 9_0))
          .as("not asked for")
          .isEmpty();
      MigrationPlan plain = MigrationPlan.of(spec(zstd, vmi()), true, 0, false, false);
      assertThat(plain.has(PARALLEL)).isFalse();
      assertThat(plain.has(COMPRESSED)).isFalse();
      assertThat(plain.parameter(DomainMigrateParameters.VIR_MIGRATE_PARAM_COMPRESSION)).isEmpty();
      MigrationPlan withPostCopy = MigrationPlan.of(spec(postCopy, vmi()), true, 0, false, true);
      assertThat(withPostCopy.has(PARALLEL)).isFalse();
    }
  }
}
