package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.DowntimeTuning;
import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.core.dataplane.transport.Transports;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The stop-and-copy limit on real bytes over loopback TCP.
 *
 * <p>The guest: {@value #PAGES} pages of 4 KiB, a writer that keeps dirtying a hot set of {@value
 * #HOT} pages (1 MiB) as fast as it can, and a bandwidth of {@value #BANDWIDTH} bytes per second.
 * After the first pass (2 s), every pass finds the hot set dirty again: at 8 MiB/s that is 125 ms
 * of copying, so a 1 ms limit never fits (even 3 dirty pages take 1.5 ms; only a writer starved for
 * a whole pass would let it fit), while a 500 ms limit fits after the first pass.
 *
 * <p>The measured downtime (pause to the target's confirmation) may exceed the limit by: the pages
 * dirtied between the last estimate and the pause (at most the hot set: 125 ms at the bandwidth),
 * the target's digest check and two loopback round trips (milliseconds), and scheduling noise on a
 * slow, busy 2-core machine, for which 1 s is allowed. A data plane that ignored the limit and
 * stopped at once would copy all 16 MiB paused: 2 s, more than the limit and the slack.
 */
@DisplayName("The stop-and-copy limit")
@SuppressWarnings("try") // resources that only need closing, like a busy guest
class DowntimeLimitTest {
  static final int PAGES = 4096;
  static final int HOT = 256;
  static final long BANDWIDTH = 8L << 20;
  static final Duration FITS = Duration.ofMillis(500);
  static final Duration SLACK =
      Duration.ofNanos(HOT * 4096L * 1_000_000_000L / BANDWIDTH).plusSeconds(1);

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  /** Waits for a few passes after the first and checks the migration still copies live. */
  static ProgressSample assertStillLive(ProgressSample sample, PagedMemory source) {
    assertThat(sample.status())
        .as("failure: %s", sample.failureReason())
        .isEqualTo(ProgressSample.Status.ACTIVE);
    assertThat(sample.mode()).isEqualTo(MigrationMode.PRE_COPY);
    assertThat(sample.iteration()).isGreaterThanOrEqualTo(4);
    assertThat(source.isPaused()).as("the guest still runs on the source").isFalse();
    return sample;
  }

  static void assertDowntimeWithin(ProgressSample last, Duration limit) {
    assertThat(last.downtime()).isPresent();
    assertThat(last.downtime().orElseThrow())
        .as("downtime against the limit %s plus the slack %s", limit, SLACK)
        .isPositive()
        .isLessThanOrEqualTo(limit.plus(SLACK));
  }

  @Nested
  @DisplayName("of an outgoing migration")
  class Outgoing {
    @Test
    @DisplayName("1 ms does not fit a hot guest; raised by SetMaxDowntime, the same run completes")
    void raisedDuringTheRun() throws Exception {
      TransferOptions options =
          TransferOptions.defaults().withBandwidth(BANDWIDTH).withMaxDowntime(Duration.ofMillis(1));
      try (PagedMemory source = Guests.random(PAGES, 41);
          Guests.Writer writer = new Guests.Writer(source, 7, 0, HOT);
          TargetAgent agent =
              TargetAgent.start(Transports.byId("tcp"), Transfers.LOOPBACK, options.ioTimeout())) {
        Transfers.Outcome outcome =
            Transfers.migrate(
                source,
                Transports.byId("tcp"),
                agent,
                options,
                out -> {
                  ProgressSample sample = Sessions.poll(out::progress, s -> s.iteration() >= 4);
                  assertStillLive(sample, source);
                  out.apply(new Directive.SetMaxDowntime(FITS));
                });

        try (PagedMemory target = Transfers.assertIdentical(outcome, source)) {
          assertDowntimeWithin(outcome.last(), FITS);
          assertThat(writer.writes()).isPositive();
        }
        source.resume();
      }
    }
  }

  @Nested
  @DisplayName("of the backend, taken from the spec")
  class FromTheSpec {
    private final DataPlaneBackend backend = DataPlaneBackend.builder().port(0).build();

    @AfterEach
    void close() {
      backend.close();
    }

    @Test
    @DisplayName("maxDowntimeMs: 1 ms never fits, so the migration copies on until aborted")
    void tooSmall() throws Exception {
      MigrationConfiguration config = Sessions.plain(BANDWIDTH).maxDowntimeMs(1).build();
      try (PagedMemory source = Guests.random(PAGES, 42);
          Guests.Writer writer = new Guests.Writer(source, 8, 0, HOT)) {
        MigrationSession session = Sessions.start(backend, "tiny", source, config);
        assertStillLive(Sessions.until(session, s -> s.iteration() >= 4), source);

        session.abort();
        ProgressSample last = Sessions.end(session);
        session.close();

        assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
        assertThat(last.guestLocation()).contains(GuestLocation.SOURCE);
        assertThat(source.isPaused()).isFalse();
        long before = writer.writes();
        Sessions.poll(() -> writer.writes(), n -> n > before);
      }
    }

    @Test
    @DisplayName("maxDowntimeMs: 500 ms fits, and the guest pauses about that long at most")
    void fits() throws Exception {
      MigrationConfiguration config =
          Sessions.plain(BANDWIDTH).maxDowntimeMs(FITS.toMillis()).build();
      try (PagedMemory source = Guests.random(PAGES, 43);
          Guests.Writer writer = new Guests.Writer(source, 9, 0, HOT)) {
        MigrationSession session = Sessions.start(backend, "fits", source, config);
        ProgressSample last = Sessions.end(session);
        session.close();

        assertThat(last.status())
            .as("failure: %s", last.failureReason())
            .isEqualTo(ProgressSample.Status.COMPLETED);
        assertDowntimeWithin(last, FITS);
        PagedMemory target = (PagedMemory) backend.memory("default", "fits").orElseThrow();
        assertThat(target.mismatch(source)).isEqualTo(-1);
        target.close();
        source.resume();
      }
    }

    @Test
    @DisplayName(
        "a downtime ramp starts at its initialMs and completes once SetMaxDowntime raises it")
    void rampStartsLow() throws Exception {
      MigrationConfiguration config =
          Sessions.plain(BANDWIDTH)
              .maxDowntimeMs(FITS.toMillis())
              .experimental(
                  ExperimentalMigrationOptions.builder()
                      .downtimeTuning(DowntimeTuning.builder().initialMs(1).build())
                      .build())
              .build();
      try (PagedMemory source = Guests.random(PAGES, 44);
          Guests.Writer writer = new Guests.Writer(source, 10, 0, HOT)) {
        MigrationSession session = Sessions.start(backend, "ramp", source, config);
        assertStillLive(Sessions.until(session, s -> s.iteration() >= 4), source);

        session.apply(new Directive.SetMaxDowntime(FITS));
        ProgressSample last = Sessions.end(session);
        session.close();

        assertThat(last.status())
            .as("failure: %s", last.failureReason())
            .isEqualTo(ProgressSample.Status.COMPLETED);
        assertDowntimeWithin(last, FITS);
        PagedMemory target = (PagedMemory) backend.memory("default", "ramp").orElseThrow();
        assertThat(target.mismatch(source)).isEqualTo(-1);
        target.close();
        source.resume();
      }
    }
  }
}
