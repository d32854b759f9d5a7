package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.core.dataplane.transport.Transports;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@link Directive.PauseGuest} on real bytes over loopback TCP. The guest never converges: a writer
 * keeps a hot set of 1 MiB dirty and the downtime limit is 1 ms (see {@link DowntimeLimitTest}).
 */
@DisplayName("PauseGuest (KubeVirt's Paused mode)")
@SuppressWarnings("try") // resources that only need closing, like a busy guest
class PauseGuestTest {
  private static final int PAGES = 2048;
  private static final int HOT = 256;
  private static final long BANDWIDTH = 8L << 20;

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  private static TransferOptions neverConverges() {
    return TransferOptions.defaults()
        .withBandwidth(BANDWIDTH)
        .withMaxDowntime(Duration.ofMillis(1));
  }

  @Test
  @DisplayName("a guest that never converges completes once paused; samples say PAUSED")
  void completesOncePaused() throws Exception {
    TransferOptions options = neverConverges();
    long[] pausedWithin = new long[2];
    try (PagedMemory source = Guests.random(PAGES, 51);
        Guests.Writer writer = new Guests.Writer(source, 11, 0, HOT);
        TargetAgent agent =
            TargetAgent.start(Transports.byId("tcp"), Transfers.LOOPBACK, options.ioTimeout())) {
      Transfers.Outcome outcome =
          Transfers.migrate(
              source,
              Transports.byId("tcp"),
              agent,
              options,
              out -> {
                ProgressSample live = Sessions.poll(out::progress, s -> s.iteration() >= 3);
                assertThat(live.status()).isEqualTo(ProgressSample.Status.ACTIVE);
                assertThat(live.mode()).isEqualTo(MigrationMode.PRE_COPY);
                assertThat(source.isPaused()).isFalse();

                pausedWithin[0] = System.nanoTime();
                out.apply(new Directive.PauseGuest());

                assertThat(source.isPaused()).as("paused at once").isTrue();
                ProgressSample paused = out.progress();
                assertThat(paused.mode()).isEqualTo(MigrationMode.PAUSED);
                long writes = writer.writes();
                Sessions.poll(out::progress, s -> s.status() != ProgressSample.Status.ACTIVE);
                pausedWithin[1] = System.nanoTime();
                assertThat(writer.writes()).as("no write while paused").isEqualTo(writes);
              });

      try (PagedMemory target = Transfers.assertIdentical(outcome, source)) {
        ProgressSample last = outcome.last();
        assertThat(last.mode()).isEqualTo(MigrationMode.PAUSED);
        assertThat(last.guestLocation()).contains(GuestLocation.TARGET);
        assertThat(last.downtime()).isPresent();
        assertThat(last.downtime().orElseThrow())
            .as("the time the guest was paused: after PauseGuest, before the end was seen")
            .isPositive()
            .isLessThanOrEqualTo(Duration.ofNanos(pausedWithin[1] - pausedWithin[0]));
        assertThat(target.isPaused()).isFalse();
      }
      source.resume();
    }
  }

  @Test
  @DisplayName("an abort while paused resumes the guest on the source, its memory intact")
  void abortWhilePaused() throws Exception {
    MigrationConfiguration config = Sessions.plain(BANDWIDTH).maxDowntimeMs(1).build();
    try (DataPlaneBackend backend = DataPlaneBackend.builder().port(0).build();
        PagedMemory source = Guests.random(PAGES, 52)) {
      Guests.Writer writer = new Guests.Writer(source, 12, 0, HOT);
      MigrationSession session = Sessions.start(backend, "paused", source, config);
      Sessions.until(session, s -> s.iteration() >= 3);
      // Slow the final pass down so that the abort lands while the guest is paused.
      session.apply(new Directive.SetBandwidth(16 << 10));
      session.apply(new Directive.PauseGuest());
      assertThat(session.sample().mode()).isEqualTo(MigrationMode.PAUSED);
      assertThat(source.isPaused()).isTrue();
      String whilePaused = HexFormat.of().formatHex(source.digest());
      writer.close(); // the blocked write gives up without writing

      session.abort();
      ProgressSample last = Sessions.end(session);
      session.close();

      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.guestLocation()).contains(GuestLocation.SOURCE);
      assertThat(last.failureReason().orElseThrow()).contains("runs on the source again");
      assertThat(source.isPaused()).as("resumed").isFalse();
      assertThat(source.digestHex()).as("memory intact").isEqualTo(whilePaused);
      assertThat(backend.memory("default", "paused")).containsSame(source);
      try (Guests.Writer again = new Guests.Writer(source, 13, 0, HOT)) {
        Sessions.poll(again::writes, n -> n > 100);
      }
    }
  }

  @Test
  @DisplayName("a broken link while paused resumes the guest on the source")
  void brokenLinkWhilePaused() throws Exception {
    TransferOptions options = neverConverges();
    try (PagedMemory source = Guests.random(PAGES, 53);
        Guests.Writer writer = new Guests.Writer(source, 14, 0, HOT);
        TargetAgent agent =
            TargetAgent.start(Transports.byId("tcp"), Transfers.LOOPBACK, options.ioTimeout())) {
      Transfers.Outcome outcome =
          Transfers.migrate(
              source,
              Transports.byId("tcp"),
              agent,
              options,
              out -> {
                Sessions.poll(out::progress, s -> s.iteration() >= 3);
                out.apply(new Directive.SetBandwidth(16 << 10));
                out.apply(new Directive.PauseGuest());
                assertThat(source.isPaused()).isTrue();
                agent.close(); // the target goes away mid-copy
              });

      ProgressSample last = outcome.last();
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.mode()).isEqualTo(MigrationMode.PAUSED);
      assertThat(last.guestLocation()).contains(GuestLocation.SOURCE);
      assertThat(last.failureReason().orElseThrow()).contains("runs on the source again");
      assertThat(source.isPaused()).isFalse();
      long before = writer.writes();
      Sessions.poll(writer::writes, n -> n > before);
    }
  }
}
