package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.ReceivingMemory;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Every fault, in each direction, ends in a state that says what runs where")
class FaultMatrixTest {
  private static final Duration IO = Duration.ofSeconds(1);
  private static final int REPLY = 4 + 2 + 1 + 2 + 8;
  private static final int VERIFIED = 1 + Protocol.VERIFIED_BODY + Protocol.CRC_BYTES;

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  static Stream<Arguments> faults() {
    List<Arguments> cases = new ArrayList<>();
    for (FaultProxy.Fault fault :
        List.of(
            FaultProxy.Fault.RESET,
            FaultProxy.Fault.STALL,
            FaultProxy.Fault.CORRUPT,
            FaultProxy.Fault.TRUNCATE)) {
      for (boolean postCopy : List.of(false, true)) {
        // Into the pages, and into the target's answers (at its confirmation in pre-copy).
        cases.add(Arguments.of(FaultProxy.Direction.TO_TARGET, fault, 200_000L, postCopy));
        cases.add(
            Arguments.of(FaultProxy.Direction.TO_SOURCE, fault, (long) REPLY + VERIFIED, postCopy));
      }
    }
    cases.add(Arguments.of(FaultProxy.Direction.TO_TARGET, FaultProxy.Fault.DELAY, 0L, false));
    cases.add(Arguments.of(FaultProxy.Direction.TO_SOURCE, FaultProxy.Fault.DELAY, 0L, true));
    return cases.stream();
  }

  @ParameterizedTest(name = "{1} {0} at byte {2}, post-copy {3}")
  @MethodSource("faults")
  @DisplayName("a fault")
  void fault(FaultProxy.Direction direction, FaultProxy.Fault fault, long offset, boolean postCopy)
      throws Exception {
    try (PagedMemory source = Guests.random(256, offset ^ fault.ordinal());
        TargetAgent agent = TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, IO);
        FaultProxy proxy =
            fault == FaultProxy.Fault.DELAY
                ? FaultProxy.delaying(agent.address(), direction, Duration.ofMillis(2))
                : FaultProxy.start(agent.address(), direction, fault, offset)) {
      String uid = UUID.randomUUID().toString();
      IncomingMigration incoming =
          agent.expect(uid, 4096, 256, () -> PagedMemory.allocate(4096, 256));
      long started = System.nanoTime();
      ProgressSample last;
      try (OutgoingMigration out =
          OutgoingMigration.start(
              source,
              new TcpTransport(),
              proxy.address(),
              uid,
              incoming.token(),
              TransferOptions.defaults().withChannels(1).withIoTimeout(IO))) {
        if (postCopy) {
          out.apply(new Directive.SwitchToPostCopy());
        }
        last = out.completion().get(60, TimeUnit.SECONDS);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .as("time to the end")
          .isLessThan(Duration.ofSeconds(20));
      CompletableFuture<ReceivingMemory> target = incoming.completion();
      try {
        target.get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // Judged below.
      }
      assertThat(target).as("the target settles").isDone();
      String reason = last.failureReason().orElse("");
      if (last.status() == ProgressSample.Status.COMPLETED) {
        assertThat(target)
            .as("completed: the guest runs on the target")
            .isCompletedWithValueMatching(
                memory -> ((PagedMemory) memory).mismatch(source) == -1, "identical memory");
        assertThat(source.isPaused()).isTrue();
      } else if (!source.isPaused()) {
        assertThat(target).as("the source runs: the target must not").isCompletedExceptionally();
      } else {
        assertThat(reason).as("the source stays paused: say why").contains("operator");
      }
      if (fault == FaultProxy.Fault.DELAY) {
        assertThat(last.status()).as(reason).isEqualTo(ProgressSample.Status.COMPLETED);
      }
      if (source.isPaused()) {
        source.resume();
      }
    }
  }
}
