package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("The engine builder")
class MigrationEnginesTest {

  @Test
  @DisplayName("requires a backend and an inventory")
  void requiresBackendAndInventory() {
    FakeInventory inventory = new FakeInventory();
    ScriptedBackend backend = new ScriptedBackend(java.time.Instant::now);

    assertThatIllegalStateException()
        .isThrownBy(() -> MigrationEngines.builder().inventory(inventory).build())
        .withMessageContaining("backend");
    assertThatIllegalStateException()
        .isThrownBy(() -> MigrationEngines.builder().backend(backend).build())
        .withMessageContaining("inventory");
  }

  @Test
  @DisplayName("refuses a sample interval that is not positive")
  void positiveSampleInterval() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> MigrationEngines.builder().sampleInterval(Duration.ZERO))
        .withMessageContaining("sampleInterval");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> MigrationEngines.builder().sampleInterval(Duration.ofSeconds(-1)));
  }

  @Test
  @DisplayName("refuses a blank or null binding plugin name, naming the option, rule and value")
  void bindingPluginNames() {
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                MigrationEngines.builder()
                    .migratableBindingPlugins(java.util.List.of("passt", " ")))
        .withMessage(
            "migratableBindingPlugins must hold plugin names (the keys of"
                + " spec.configuration.network.binding), none blank, but was ' '");
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                MigrationEngines.builder()
                    .migratableBindingPlugins(java.util.Arrays.asList("passt", null)))
        .withMessageEndingWith("but was null");
    org.assertj.core.api.Assertions.assertThatNullPointerException()
        .isThrownBy(() -> MigrationEngines.builder().migratableBindingPlugins(null))
        .withMessageContaining("migratableBindingPlugins");
  }

  @Test
  @DisplayName("starts with KubeVirt's defaults")
  void defaults() {
    MigrationEngine engine =
        MigrationEngines.builder()
            .backend(new ScriptedBackend(java.time.Instant::now))
            .inventory(new FakeInventory())
            .scheduler(new ManualScheduler())
            .build();

    assertThat(engine.configuration()).isEqualTo(MigrationConfiguration.defaults());
    assertThat(engine.migrations()).isEmpty();
  }

  @Test
  @Timeout(value = 1, unit = TimeUnit.MINUTES)
  @DisplayName("without a scheduler runs on its own system scheduler, closed with the engine")
  void ownScheduler() throws Exception {
    FakeInventory inventory = new FakeInventory().nodes("node01", "node02");
    inventory.vmi(Harness.vmi("vmi-fedora", "node02").build());
    // 1 GiB at 64 GiB/s of virtual link and bandwidth: one pass of a few real milliseconds.
    ScriptedBackend backend =
        new ScriptedBackend(java.time.Instant::now)
            .defaultScript(Script.CONVERGING.withLinkRate(64L << 30));
    MigrationEngine engine =
        MigrationEngines.builder()
            .configuration(
                MigrationConfiguration.builder()
                    .bandwidthPerMigration(dev.livemigration.api.Quantity.ZERO)
                    .build())
            .backend(backend)
            .inventory(inventory)
            .sampleInterval(Duration.ofMillis(5))
            .build();

    MigrationState end =
        engine
            .migrate(VirtualMachineInstanceMigration.of("job", "vmi-fedora"))
            .completion()
            .get(30, TimeUnit.SECONDS);
    engine.close();

    assertThat(end.phase()).isEqualTo(MigrationPhase.SUCCEEDED);
    assertThat(backend.isClosed()).isTrue();
  }
}
