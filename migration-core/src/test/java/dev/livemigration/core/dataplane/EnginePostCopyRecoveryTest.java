package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.CancelResult;
import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.StrategyInput;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The engine driving the data plane through a broken post-copy link")
class EnginePostCopyRecoveryTest {
  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  private static final MigrationStrategy SWITCH_AT_ONCE =
      new MigrationStrategy() {
        @Override
        public String id() {
          return "post-copy-at-once";
        }

        @Override
        public Directive decide(StrategyInput input) {
          return new Directive.SwitchToPostCopy();
        }
      };

  @Test
  @DisplayName(
      "reports the pause, each reconnect attempt and the recovery, refuses a cancel meanwhile, and"
          + " ends Succeeded with identical memory")
  void survivesABrokenLink() throws Exception {
    Breaks breaks = new Breaks(new TcpTransport());
    DataPlaneBackend backend =
        DataPlaneBackend.builder()
            .port(0)
            .ioTimeout(Duration.ofSeconds(5))
            .transport(breaks)
            .postCopyRecoveryBudget(Duration.ofMinutes(1))
            .build();
    List<MigrationEvent> events = new CopyOnWriteArrayList<>();
    PagedMemory source = Guests.random(2048, 71);
    try (Cluster cluster =
        new Cluster(backend, "node-a", "node-b").vmi("guest", "node-a", source)) {
      MigrationEngine engine =
          cluster.engineWithEvents(
              MigrationConfiguration.builder()
                  .from(Cluster.plain())
                  .allowPostCopy(true)
                  .bandwidthPerMigration(Quantity.ofMebibytes(1))
                  .build(),
              SWITCH_AT_ONCE,
              events::add);
      MigrationHandle handle = engine.migrate(VirtualMachineInstanceMigration.of("job", "guest"));
      awaitEvent(
          events,
          e ->
              e instanceof MigrationEvent.Progress p
                  && p.sample().mode() == MigrationMode.POST_COPY
                  && p.sample().dataProcessed() > 0,
          "post-copy");
      breaks.hold();
      assertThat(breaks.breakLinks()).as("links broken").isPositive();
      MigrationEvent broken =
          awaitEvent(events, e -> e instanceof MigrationEvent.LinkBroken, "LinkBroken");
      assertThat(((MigrationEvent.LinkBroken) broken).reason()).isNotBlank();
      awaitEvent(
          events,
          e -> e instanceof MigrationEvent.ReconnectAttempted r && r.attempts() >= 2,
          "ReconnectAttempted");
      assertThat(handle.state().mode()).isEqualTo(MigrationMode.POST_COPY_PAUSED);
      CancelResult cancel = handle.cancel();
      assertThat(cancel.outcome()).isEqualTo(CancelResult.Outcome.REFUSED_IN_POST_COPY);

      breaks.release();
      MigrationState state = handle.completion().get(120, TimeUnit.SECONDS);

      assertThat(state.phase()).as("%s", state.failureReason()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(state.mode()).isEqualTo(MigrationMode.POST_COPY);
      assertThat(events).anyMatch(e -> e instanceof MigrationEvent.LinkRecovered);
      assertThat(events).anyMatch(e -> e instanceof MigrationEvent.Succeeded);
      PagedMemory target = cluster.memoryOf("guest");
      assertThat(target).isNotSameAs(source);
      assertThat(target.mismatch(source)).isEqualTo(-1);
      source.resume();
    }
  }

  private static MigrationEvent awaitEvent(
      List<MigrationEvent> events, Predicate<MigrationEvent> wanted, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      for (MigrationEvent event : events) {
        if (wanted.test(event)) {
          return event;
        }
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
    throw new AssertionError("no " + what + " event within 60 s; events: " + events.size());
  }
}
