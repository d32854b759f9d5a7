package dev.livemigration.testkit.junit;

import static dev.livemigration.testkit.junit.MigrationAssertions.assertThatMigration;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.testkit.DirtyPattern;
import dev.livemigration.testkit.RealBytesCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@WithSimulatedCluster(nodes = 2, realBytes = true)
@DisplayName("@WithSimulatedCluster(realBytes = true)")
class RealBytesExtensionTest {
  private static final List<String> OURS =
      List.of("simulated-guest-writer", "lm-dataplane", "live-migration-");
  private static Set<Thread> before;
  private static InetSocketAddress agent;

  @BeforeAll
  static void noteThreads() {
    before = Thread.getAllStackTraces().keySet();
  }

  private static Set<String> newThreadsOfOurs() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> !before.contains(thread) && thread.isAlive())
        .map(Thread::getName)
        .filter(name -> OURS.stream().anyMatch(name::startsWith))
        .collect(Collectors.toSet());
  }

  @Test
  @DisplayName("gives a test a real-bytes cluster and its engine")
  void movesRealBytes(RealBytesCluster cluster, MigrationEngine engine) {
    cluster.configure(MigrationConfiguration.builder().disableTLS(true).build());
    cluster.addVmi(
        "vmi-busy", vmi -> vmi.memory("16Mi").dirtyRate("2Mi").pattern(DirtyPattern.HOT_COLD));

    MigrationHandle handle = engine.migrate(VirtualMachineInstanceMigration.of("move", "vmi-busy"));

    assertThat(engine).isSameAs(cluster.engine());
    assertThatMigration(handle).succeedsWithin(Duration.ofMinutes(2)).wentTo("node02");
    assertThatMigration(handle).hasIdenticalMemory(cluster);
    agent = cluster.backend().agentAddress("node02", "tcp").orElseThrow();
    assertThat(newThreadsOfOurs()).isNotEmpty();
  }

  @AfterAll
  static void releasedEveryThreadAndSocket() throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    while (!newThreadsOfOurs().isEmpty() && Instant.now().isBefore(deadline)) {
      Thread.sleep(20);
    }
    assertThat(newThreadsOfOurs()).as("threads left after the test").isEmpty();
    assertThat(agent).isNotNull();
    assertThatThrownBy(
            () -> {
              try (Socket socket = new Socket()) {
                socket.connect(agent, 2_000);
              }
            })
        .as("the agent no longer listens on " + agent)
        .isInstanceOf(IOException.class);
  }
}
