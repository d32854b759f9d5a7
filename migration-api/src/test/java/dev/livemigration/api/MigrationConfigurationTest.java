package dev.livemigration.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("MigrationConfiguration")
class MigrationConfigurationTest {

  @Test
  @DisplayName("defaults are the ones the KubeVirt guide documents")
  void defaultsAreTheGuides() {
    MigrationConfiguration config = MigrationConfiguration.defaults();

    assertThat(config.parallelMigrationsPerCluster()).isEqualTo(5);
    assertThat(config.parallelOutboundMigrationsPerNode()).isEqualTo(2);
    assertThat(config.bandwidthPerMigration()).isEqualTo(Quantity.parse("64Mi"));
    assertThat(config.completionTimeoutPerGiB()).isEqualTo(Duration.ofSeconds(800));
    assertThat(config.progressTimeout()).isEqualTo(Duration.ofSeconds(150));
    assertThat(config.disableTLS()).isFalse();
    assertThat(config.nodeDrainTaintKey()).isEqualTo("kubevirt.io/drain");
    assertThat(config.allowAutoConverge()).isFalse();
    assertThat(config.allowPostCopy()).isFalse();
    assertThat(config.unsafeMigrationOverride()).isFalse();
    assertThat(config.network()).isEmpty();
  }

  @Test
  @DisplayName("a copy changes only what the builder sets")
  void copyChangesOnlyWhatIsSet() {
    MigrationConfiguration changed =
        MigrationConfiguration.builder()
            .from(MigrationConfiguration.defaults())
            .allowPostCopy(true)
            .network("migration-network")
            .build();

    assertThat(changed.allowPostCopy()).isTrue();
    assertThat(changed.network()).contains("migration-network");
    assertThat(changed.parallelMigrationsPerCluster()).isEqualTo(5);
    assertThat(MigrationConfiguration.defaults().allowPostCopy()).isFalse();
  }

  @Test
  @DisplayName("the completion timeout scales with the data to copy: 8 GiB at 800 s/GiB is 6400 s")
  void completionTimeoutScalesWithSize() {
    MigrationConfiguration config = MigrationConfiguration.defaults();

    assertThat(config.completionTimeoutFor(8L << 30)).isEqualTo(Duration.ofSeconds(6400));
    assertThat(config.completionTimeoutFor(512L << 20)).isEqualTo(Duration.ofSeconds(400));
    assertThat(config.completionTimeoutFor(0)).isEqualTo(Duration.ZERO);
    assertThatThrownBy(() -> config.completionTimeoutFor(-1))
        .hasMessage("bytesToCopy must be >= 0, but was -1");
  }

  @Nested
  @DisplayName("rejects, naming the field, the rule and the value,")
  class Rejects {
    @Test
    @DisplayName("a cluster limit below one")
    void clusterLimitBelowOne() {
      assertThatThrownBy(
              () -> MigrationConfiguration.builder().parallelMigrationsPerCluster(0).build())
          .isInstanceOf(InvalidValueException.class)
          .hasMessage("parallelMigrationsPerCluster must be >= 1, but was 0");
    }

    @Test
    @DisplayName("a node limit below one")
    void nodeLimitBelowOne() {
      assertThatThrownBy(
              () -> MigrationConfiguration.builder().parallelOutboundMigrationsPerNode(-3).build())
          .hasMessage("parallelOutboundMigrationsPerNode must be >= 1, but was -3");
    }

    @Test
    @DisplayName("a timeout that is not a positive whole number of seconds")
    void badTimeouts() {
      assertThatThrownBy(
              () -> MigrationConfiguration.builder().progressTimeout(Duration.ZERO).build())
          .hasMessage("progressTimeout must be a positive number of seconds, but was '0s'");
      assertThatThrownBy(
              () ->
                  MigrationConfiguration.builder()
                      .completionTimeoutPerGiB(Duration.ofMillis(1500))
                      .build())
          .hasMessage("completionTimeoutPerGiB must be a whole number of seconds, but was PT1.5S");
    }

    @Test
    @DisplayName("a fractional bandwidth")
    void fractionalBandwidth() {
      assertThatThrownBy(
              () ->
                  MigrationConfiguration.builder()
                      .bandwidthPerMigration(Quantity.parse("500m"))
                      .build())
          .isInstanceOf(InvalidValueException.class)
          .hasMessageStartingWith("bandwidthPerMigration must be a whole number of bytes");
    }

    @Test
    @DisplayName("a blank drain taint key and a network that is not a Kubernetes name")
    void badNames() {
      assertThatThrownBy(() -> MigrationConfiguration.builder().nodeDrainTaintKey(" ").build())
          .hasMessage("nodeDrainTaintKey must not be blank, but was ' '");
      assertThatThrownBy(() -> MigrationConfiguration.builder().network("Eth_1").build())
          .isInstanceOf(InvalidValueException.class)
          .hasMessageStartingWith("network must be a DNS-1123 subdomain");
    }
  }
}
