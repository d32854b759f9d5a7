package dev.livemigration.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.MigrationConfiguration;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("The demo's settings")
class DemoSettingsTest {

  @Test
  @DisplayName("read quantities as Kubernetes writes them, and seconds as decimals")
  void parses() {
    DemoSettings settings = DemoSettings.parse("pre-copy", "1Gi", "50Mi", "64Mi", true, "2.5");

    assertThat(settings.memory()).isEqualTo(1L << 30);
    assertThat(settings.dirtyRate()).isEqualTo(50L << 20);
    assertThat(settings.bandwidth()).isEqualTo(64L << 20);
    assertThat(settings.cancelAfter()).isEqualTo(Duration.ofMillis(2500));
    assertThat(settings.migrationStrategy().id()).isEqualTo("pre-copy");
  }

  @ParameterizedTest(name = "{0}: post-copy {1}, auto-converge {2}")
  @CsvSource({
    "pre-copy, false, false",
    "post-copy, true, false",
    "auto-converge, false, true",
    "hybrid, true, false"
  })
  @DisplayName("allow what the strategy needs, and nothing else")
  void allows(String strategy, boolean postCopy, boolean autoConverge) {
    MigrationConfiguration configuration =
        DemoSettings.parse(strategy, "64Mi", "0", "0", false, null).configuration();

    assertThat(configuration.allowPostCopy()).isEqualTo(postCopy);
    assertThat(configuration.allowAutoConverge()).isEqualTo(autoConverge);
    assertThat(configuration.disableTLS()).isTrue();
    assertThat(configuration.bandwidthPerMigration().isZero()).isTrue();
    assertThat(configuration.progressTimeout())
        .isEqualTo(MigrationConfiguration.DEFAULT_PROGRESS_TIMEOUT);
  }

  @Test
  @DisplayName("name the option, the rule and the value of a bad one")
  void rejects() {
    assertThatThrownBy(() -> DemoSettings.parse("pre-copy", "1Gi", "50Mi", "0", true, "soon"))
        .isInstanceOf(DemoSettings.BadOption.class)
        .hasMessage("--cancel-after must be a number of seconds such as 3 or 0.5, but was 'soon'");
    assertThatThrownBy(() -> DemoSettings.parse("pre-copy", "-1Gi", "50Mi", "0", true, null))
        .hasMessage("--memory must not be negative, but was '-1Gi'");
    assertThatThrownBy(() -> DemoSettings.parse("pre-copy", "0", "50Mi", "0", true, null))
        .hasMessage("--memory must be a positive multiple of 4Ki (the page size), but was '0'");
  }
}
