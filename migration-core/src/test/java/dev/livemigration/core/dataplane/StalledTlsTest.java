package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.ProgressSample;
import dev.livemigration.core.dataplane.transport.TlsTransport;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@DisplayName("A stalled TLS connection fails after the I/O timeout, not TLS's close")
class StalledTlsTest {
  private static final Duration IO = Duration.ofSeconds(1);

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  @Test
  @DisplayName("the source's write is stuck: failed and closed well under 10 s")
  void stalledWrite() throws Exception {
    TlsTransport tls = TestPki.get().trusted();
    try (PagedMemory source = Guests.random(4096, 7);
        TargetAgent agent = TargetAgent.start(tls, Transfers.LOOPBACK, IO);
        FaultProxy proxy =
            FaultProxy.start(
                agent.address(), FaultProxy.Direction.TO_TARGET, FaultProxy.Fault.STALL, 1 << 20)) {
      IncomingMigration incoming =
          agent.expect("stall", 4096, 4096, () -> PagedMemory.allocate(4096, 4096));
      long started = System.nanoTime();
      OutgoingMigration out =
          OutgoingMigration.start(
              source,
              tls,
              proxy.address(),
              "stall",
              incoming.token(),
              TransferOptions.defaults().withChannels(1).withIoTimeout(IO));
      ProgressSample last = out.completion().get(60, TimeUnit.SECONDS);
      out.close();
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      LoggerFactory.getLogger(StalledTlsTest.class)
          .info("A stalled TLS write failed and closed in {} ms", took.toMillis());
      assertThat(proxy.fired()).isTrue();
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.failureReason())
          .hasValueSatisfying(reason -> assertThat(reason).contains("timeout"));
      assertThat(took).as("time to fail and close").isLessThan(Duration.ofSeconds(10));
      assertThat(source.isPaused()).as("before the go-ahead: the source runs on").isFalse();
    }
  }
}
