package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.core.dataplane.transport.Transports;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Positive;

/** Invariants of the data plane over random memories, dirty patterns, bandwidths and faults. */
@SuppressWarnings("try") // resources that only need closing, like a busy guest
class DataPlaneProperties {

  @Property(tries = 12)
  @Label("any memory, dirtied in any pattern, arrives byte for byte")
  void arrivesIdentical(
      @ForAll @IntRange(min = 1, max = 600) int pages,
      @ForAll @IntRange(min = 0, max = 3) int pageSizeChoice,
      @ForAll @IntRange(min = 1, max = 3) int channels,
      @ForAll boolean tcp,
      @ForAll @IntRange(min = 0, max = 2) int dirtying,
      @ForAll @IntRange(min = 0, max = 2) int bandwidthChoice,
      @ForAll @Positive long seed)
      throws Exception {
    int pageSize = new int[] {512, 4096, 16384, 65536}[pageSizeChoice];
    long bandwidth = new long[] {0, 8 << 20, 64 << 20}[bandwidthChoice];
    MigrationTransport transport = Transports.byId(tcp ? "tcp" : "mem");
    TransferOptions options =
        TransferOptions.defaults()
            .withChannels(channels)
            .withBandwidth(bandwidth)
            .withMaxDowntime(Duration.ofMillis(1 + seed % 50))
            .withIoTimeout(Duration.ofSeconds(10));
    try (PagedMemory source = Guests.random(pageSize, pages, seed)) {
      Guests.Writer writer =
          dirtying == 0
              ? null
              : new Guests.Writer(source, seed, 32, dirtying == 1 ? Math.max(1, pages / 8) : 0);
      try {
        Transfers.Outcome outcome;
        try (TargetAgent agent =
            TargetAgent.start(transport, Transfers.LOOPBACK, options.ioTimeout())) {
          outcome =
              Transfers.migrate(
                  source,
                  transport,
                  agent,
                  options,
                  out -> {
                    // Like the engine's completion timeout: what does not converge in pre-copy
                    // finishes in post-copy.
                    try {
                      out.completion().get(2, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                      out.apply(new dev.livemigration.api.Directive.SwitchToPostCopy());
                    }
                  });
        }
        Transfers.assertIdentical(outcome, source).close();
      } finally {
        source.resume();
        if (writer != null) {
          writer.close();
        }
      }
    }
  }

  @Property(tries = 15)
  @Label("a fault anywhere either leaves a completed, identical copy or a clean failure")
  void faultsFailCleanly(
      @ForAll FaultyTransport.Kind kind,
      @ForAll FaultyTransport.Side side,
      @ForAll @LongRange(min = 0, max = 400_000) long offset,
      @ForAll @IntRange(min = 8, max = 96) int pages,
      @ForAll @IntRange(min = 1, max = 2) int channels,
      @ForAll @Positive long seed)
      throws Exception {
    if (kind == FaultyTransport.Kind.STALL) {
      kind = FaultyTransport.Kind.RESET;
    }
    FaultyTransport transport = new FaultyTransport(Transports.byId("tcp"), kind, side, offset);
    TransferOptions options =
        TransferOptions.defaults().withChannels(channels).withIoTimeout(Duration.ofSeconds(2));
    try (PagedMemory source = Guests.random(pages, seed);
        TargetAgent agent = TargetAgent.start(transport, Transfers.LOOPBACK, options.ioTimeout())) {
      String before = source.digestHex();
      String uid = UUID.randomUUID().toString();
      IncomingMigration incoming =
          agent.expect(uid, 4096, pages, () -> PagedMemory.allocate(4096, pages));
      ProgressSample last;
      try (OutgoingMigration out =
          OutgoingMigration.start(
              source, transport, agent.address(), uid, incoming.token(), options)) {
        last = out.completion().get(60, TimeUnit.SECONDS);
      } catch (TransferFailedException refused) {
        last = null;
        incoming.cancel();
      }
      if (last != null && last.status() == ProgressSample.Status.COMPLETED) {
        PagedMemory target = (PagedMemory) incoming.completion().get(30, TimeUnit.SECONDS);
        assertThat(target.mismatch(source)).isEqualTo(-1);
        target.close();
        source.resume();
      } else {
        if (last != null) {
          assertThat(last.failureReason()).isPresent();
        }
        assertThat(source.isPaused()).isFalse();
        assertThat(source.digestHex()).isEqualTo(before);
        try {
          incoming.completion().get(30, TimeUnit.SECONDS);
          throw new AssertionError("the target completed a failed migration");
        } catch (java.util.concurrent.ExecutionException expected) {
          assertThat(expected.getCause()).isInstanceOf(TransferFailedException.class);
        }
      }
    }
    FaultsTest.Leaks.awaitClosed(transport);
  }
}
