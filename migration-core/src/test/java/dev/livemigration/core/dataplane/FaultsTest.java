package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Faults fail the migration precisely, keep the source intact and leak nothing")
class FaultsTest {
  private static final TransferOptions OPTIONS =
      TransferOptions.defaults().withIoTimeout(Duration.ofSeconds(2)).withBandwidth(16 << 20);

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    Leaks.assertNoDataPlaneThreads();
  }

  private static Transfers.Outcome migrate(PagedMemory source, FaultyTransport transport)
      throws Exception {
    return Transfers.migrate(source, transport, OPTIONS);
  }

  private static void assertFailedCleanly(
      Transfers.Outcome outcome, PagedMemory source, String digestBefore, FaultyTransport transport)
      throws Exception {
    assertThat(outcome.last().status()).isEqualTo(ProgressSample.Status.FAILED);
    assertThat(outcome.target()).isCompletedExceptionally();
    assertThat(source.isPaused()).as("the source runs on").isFalse();
    assertThat(source.digestHex()).as("the source is untouched").isEqualTo(digestBefore);
    source.putLong(0, 1);
    Leaks.awaitClosed(transport);
  }

  @Test
  @DisplayName("a connection reset by the target")
  void reset() throws Exception {
    FaultyTransport transport =
        new FaultyTransport(
            new TcpTransport(),
            FaultyTransport.Kind.RESET,
            FaultyTransport.Side.TARGET_READS,
            300_000);
    try (PagedMemory source = Guests.random(512, 51)) {
      String before = source.digestHex();
      Transfers.Outcome outcome = migrate(source, transport);
      assertThat(outcome.last().failureReason())
          .hasValueSatisfying(
              reason -> assertThat(reason).containsAnyOf("reset", "broken", "closed"));
      assertFailedCleanly(outcome, source, before, transport);
    }
  }

  @Test
  @DisplayName("a target that stops reading: a write or read timeout")
  void targetStalls() throws Exception {
    FaultyTransport transport =
        new FaultyTransport(
            new TcpTransport(),
            FaultyTransport.Kind.STALL,
            FaultyTransport.Side.TARGET_READS,
            200_000);
    try (PagedMemory source = Guests.random(4096, 52)) {
      String before = source.digestHex();
      Transfers.Outcome outcome = migrate(source, transport);
      assertThat(outcome.last().failureReason())
          .hasValueSatisfying(reason -> assertThat(reason).contains("timeout"));
      assertFailedCleanly(outcome, source, before, transport);
    }
  }

  @Test
  @DisplayName("a source that stops sending: the target's read timeout")
  void sourceStalls() throws Exception {
    FaultyTransport transport =
        new FaultyTransport(
            new TcpTransport(),
            FaultyTransport.Kind.STALL,
            FaultyTransport.Side.SOURCE_WRITES,
            100_000);
    try (PagedMemory source = Guests.random(512, 53)) {
      String before = source.digestHex();
      Transfers.Outcome outcome = migrate(source, transport);
      assertThat(outcome.last().failureReason())
          .hasValueSatisfying(reason -> assertThat(reason).contains("timeout"));
      assertThat(outcome.target().handle((m, e) -> e.getCause().getMessage()).join())
          .containsAnyOf("timeout", "closed the connection");
      assertFailedCleanly(outcome, source, before, transport);
    }
  }

  @Test
  @DisplayName("a corrupt frame: the target names it and the source reports it")
  void corrupt() throws Exception {
    FaultyTransport transport =
        new FaultyTransport(
            new TcpTransport(),
            FaultyTransport.Kind.CORRUPT,
            FaultyTransport.Side.SOURCE_WRITES,
            50_000);
    try (PagedMemory source = Guests.random(512, 54)) {
      String before = source.digestHex();
      Transfers.Outcome outcome = migrate(source, transport);
      assertThat(outcome.last().failureReason())
          .hasValueSatisfying(
              reason -> assertThat(reason).contains("the target failed").contains("corrupt frame"));
      assertFailedCleanly(outcome, source, before, transport);
    }
  }

  @Test
  @DisplayName("the target agent going away mid-migration")
  void targetGoesAway() throws Exception {
    FaultyTransport transport =
        new FaultyTransport(
            new TcpTransport(),
            FaultyTransport.Kind.STALL,
            FaultyTransport.Side.TARGET_READS,
            Long.MAX_VALUE);
    try (PagedMemory source = Guests.random(2048, 55)) {
      String before = source.digestHex();
      TargetAgent agent = TargetAgent.start(transport, Transfers.LOOPBACK, OPTIONS.ioTimeout());
      CompletableFuture<Transfers.Outcome> outcome = new CompletableFuture<>();
      AtomicReference<Throwable> error = new AtomicReference<>();
      Thread runner =
          new Thread(
              () -> {
                try {
                  outcome.complete(
                      Transfers.migrate(
                          source,
                          transport,
                          agent,
                          OPTIONS.withBandwidth(2 << 20),
                          out -> {
                            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                            while (out.progress().dataProcessed() < 100_000
                                && System.nanoTime() < deadline) {
                              TimeUnit.MILLISECONDS.sleep(5);
                            }
                            agent.close();
                          }));
                } catch (Exception | AssertionError e) {
                  error.set(e);
                  outcome.completeExceptionally(e);
                }
              });
      runner.start();
      Transfers.Outcome result = outcome.get(60, TimeUnit.SECONDS);
      assertThat(result.last().failureReason())
          .hasValueSatisfying(
              reason ->
                  assertThat(reason)
                      .containsAnyOf(
                          "target agent was closed", "closed the connection", "reset", "broken"));
      assertFailedCleanly(result, source, before, transport);
      runner.join(10_000);
    }
  }

  @Test
  @DisplayName(
      "with post-copy recovery off, a broken link in post-copy is reported as the dangerous case it"
          + " is")
  void postCopyBreaks() throws Exception {
    FaultyTransport transport =
        new FaultyTransport(
            new TcpTransport(),
            FaultyTransport.Kind.RESET,
            FaultyTransport.Side.TARGET_READS,
            1_000_000);
    try (PagedMemory source = Guests.random(2048, 56)) {
      Transfers.Outcome outcome;
      try (TargetAgent agent =
          TargetAgent.start(transport, Transfers.LOOPBACK, OPTIONS.ioTimeout())) {
        outcome =
            Transfers.migrate(
                source,
                transport,
                agent,
                OPTIONS.withBandwidth(4 << 20).withPostCopyRecoveryBudget(Duration.ZERO),
                out -> out.apply(new Directive.SwitchToPostCopy()));
      }
      assertThat(outcome.last().status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(outcome.last().mode()).isEqualTo(MigrationMode.POST_COPY);
      assertThat(outcome.last().failureReason())
          .hasValueSatisfying(reason -> assertThat(reason).contains("post-copy broke"));
      assertThat(outcome.target()).isCompletedExceptionally();
      assertThat(source.isPaused()).as("the source cannot resume a guest that moved").isTrue();
      source.resume();
      Leaks.awaitClosed(transport);
    }
  }

  /** Checks for threads and connections left behind. */
  static final class Leaks {
    private Leaks() {}

    static void assertNoDataPlaneThreads() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      List<String> alive;
      do {
        alive =
            Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> name.startsWith("lm-dataplane-"))
                .toList();
        if (alive.isEmpty()) {
          return;
        }
        TimeUnit.MILLISECONDS.sleep(20);
      } while (System.nanoTime() < deadline);
      assertThat(alive).as("data-plane threads left running").isEmpty();
    }

    static void awaitClosed(FaultyTransport transport) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (transport.openConnections() > 0 && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(20);
      }
      assertThat(transport.openConnections()).as("connections left open").isZero();
    }
  }
}
