package dev.livemigration.core;

import static dev.livemigration.core.Harness.T0;
import static dev.livemigration.core.Harness.vmi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.Quantity;
import dev.livemigration.core.ScriptedBackend.Step;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Live reconfiguration")
class ReconfigurationTest {
  private static final MigrationConfiguration ONE_PER_NODE =
      MigrationConfiguration.builder().parallelOutboundMigrationsPerNode(1).build();
  private static final MigrationConfiguration FAST_TIMEOUT =
      MigrationConfiguration.builder()
          .from(ONE_PER_NODE)
          .progressTimeout(Duration.ofSeconds(30))
          .bandwidthPerMigration(Quantity.parse("32Mi"))
          .build();

  private static Duration ranUntilAbort(Harness harness, MigrationHandle handle) {
    return Duration.between(
        handle.state().startTimestamp().orElseThrow(),
        harness.backend.times(handle.uid(), Step.ABORT).get(0));
  }

  @Test
  @DisplayName("applies a new configuration to migrations admitted afterwards only")
  void laterMigrationsOnly() {
    Harness harness =
        Harness.twoNodes()
            .vmis("node02", "running", "pending", "later")
            .configuration(ONE_PER_NODE);
    harness.backend.defaultScript(Script.neverConverging());
    MigrationHandle running = harness.migrate("job-running", "running");
    MigrationHandle pending = harness.migrate("job-pending", "pending");
    harness.advanceSeconds(10);

    harness.engine().reconfigure(FAST_TIMEOUT);
    MigrationHandle later = harness.migrate("job-later", "later");
    harness.runUntilIdle();

    assertThat(harness.engine().configuration()).isEqualTo(FAST_TIMEOUT);
    assertThat(running.state().migrationConfig()).contains(ONE_PER_NODE);
    assertThat(pending.state().migrationConfig()).contains(ONE_PER_NODE);
    assertThat(later.state().migrationConfig()).contains(FAST_TIMEOUT);
    // Each is aborted by its own progress timeout, counted from its first sample.
    assertThat(harness.backend.times(running.uid(), Step.ABORT))
        .containsExactly(T0.plusSeconds(151));
    assertThat(ranUntilAbort(harness, pending)).isEqualTo(Duration.ofSeconds(151));
    assertThat(ranUntilAbort(harness, later)).isEqualTo(Duration.ofSeconds(31));
    assertThat(
            harness.backend.session(running.uid()).spec().configuration().bandwidthPerMigration())
        .isEqualTo(Quantity.parse("64Mi"));
    assertThat(harness.backend.session(later.uid()).spec().configuration().bandwidthPerMigration())
        .isEqualTo(Quantity.parse("32Mi"));
  }

  @Test
  @DisplayName("reads the policies at each admission, so replaced policies apply to later ones")
  void policiesReadAtAdmission() {
    AtomicReference<List<MigrationPolicy>> policies = new AtomicReference<>(List.of());
    Harness harness = Harness.twoNodes();
    harness.customize(builder -> builder.policies(policies::get));
    harness.inventory.vmi(vmi("first", "node02").putLabels("app", "db").build());
    harness.inventory.vmi(vmi("second", "node02").putLabels("app", "db").build());

    MigrationHandle first = harness.migrate("job-1", "first");
    policies.set(
        List.of(
            MigrationPolicy.builder()
                .name("db")
                .putVirtualMachineInstanceSelector("app", "db")
                .allowPostCopy(true)
                .build()));
    MigrationHandle second = harness.migrate("job-2", "second");
    harness.runUntilIdle();

    assertThat(first.state().migrationPolicyName()).isEmpty();
    assertThat(first.state().migrationConfig().orElseThrow().allowPostCopy()).isFalse();
    assertThat(second.state().migrationPolicyName()).contains("db");
    assertThat(second.state().migrationConfig().orElseThrow().allowPostCopy()).isTrue();
  }

  @Test
  @DisplayName("refuses a null configuration")
  void refusesNull() {
    Harness harness = Harness.twoNodes();

    assertThatNullPointerException().isThrownBy(() -> harness.engine().reconfigure(null));
    assertThat(harness.engine().configuration()).isEqualTo(MigrationConfiguration.defaults());
  }
}
