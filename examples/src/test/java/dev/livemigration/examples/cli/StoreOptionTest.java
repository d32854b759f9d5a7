package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.jdbc.JdbcMigrationStore;
import dev.livemigration.jdbc.PostgreSql;
import dev.livemigration.testkit.SimulatedCluster;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Separate CLI invocations on one PostgreSQL store see the same migrations. */
@ExtendWith(PostgreSql.class)
@DisplayName("The CLI with --store")
class StoreOptionTest {

  @Test
  @DisplayName("status in one invocation shows the migration another invocation ran")
  void migrateThenStatus(PostgreSql.Server server) {
    Cli migrated =
        Cli.run("migrate", "vmi-fedora", "--store", server.jdbcUrl(), "--replica", "first");
    assertThat(migrated.code()).as(migrated.toString()).isZero();

    Cli status =
        Cli.run(
            "status",
            "vmi-fedora",
            "--store",
            server.jdbcUrl(),
            "--replica",
            "second",
            "-o",
            "json");

    assertThat(status.code()).as(status.toString()).isZero();
    assertThat(status.out()).contains("\"phase\": \"Succeeded\"").contains("\"targetNode\"");
  }

  @Test
  @DisplayName("migrate-cancel reaches a migration that another replica drives")
  void cancelAnotherReplicasMigration(PostgreSql.Server server) {
    JdbcMigrationStore store = JdbcMigrationStore.create(server.dataSource());
    SimulatedCluster cluster = SimulatedCluster.withNodes(2);
    cluster.store(store, "holder");
    cluster.addVmi("held", vmi -> vmi.on("node01").memory("8Gi").dirtyRate("10Mi"));
    MigrationEngine engine = cluster.engine();
    MigrationHandle handle = engine.migrate(VirtualMachineInstanceMigration.of("hold", "held"));
    cluster.time().advance(Duration.ofSeconds(3));
    assertThat(handle.state().phase()).isEqualTo(MigrationPhase.RUNNING);

    Cli cancel = Cli.run("migrate-cancel", "held", "--store", server.jdbcUrl());
    cluster.time().advanceUntil(() -> handle.state().completed(), Duration.ofMinutes(10));

    assertThat(cancel.code()).as(cancel.toString()).isZero();
    assertThat(cancel.err()).contains("the cancel was recorded");
    assertThat(handle.state().phase()).isEqualTo(MigrationPhase.FAILED);
    assertThat(handle.state().failureReason()).contains("cancelled on request");
    cluster.close();
  }

  @Test
  @DisplayName("an unreachable store is an error in words, exit 3")
  void unreachable() {
    Cli result =
        Cli.run(
            "status",
            "vmi-fedora",
            "--store",
            "jdbc:postgresql://127.0.0.1:1/postgres?user=postgres&connectTimeout=2");

    assertThat(result.code()).as(result.toString()).isEqualTo(3);
    assertThat(result.err())
        .startsWith("error: cannot reach the migration store at jdbc:postgresql://127.0.0.1:1/")
        .doesNotContain("Exception");
  }
}
