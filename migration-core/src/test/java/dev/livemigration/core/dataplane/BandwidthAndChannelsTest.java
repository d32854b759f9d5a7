package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Bandwidth limits and parallel channels")
@SuppressWarnings("try") // resources that only need closing, like a busy guest
class BandwidthAndChannelsTest {

  @Test
  @DisplayName("the token bucket never lets more through than its rate allows (plus one burst)")
  void tokenBucket() {
    long rate = 8 << 20;
    TokenBucket bucket = new TokenBucket(rate);
    long started = System.nanoTime();
    long total = 0;
    for (int i = 0; i < 64; i++) {
      bucket.acquire(64 << 10, () -> false);
      total += 64 << 10;
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    double burst = Math.max(64 << 10, rate / 20.0);
    assertThat(seconds).isGreaterThanOrEqualTo((total - burst) / rate * 0.95);
  }

  @Test
  @DisplayName("a rate of 0 is unlimited, and a rate change applies at once")
  void unlimited() {
    TokenBucket bucket = new TokenBucket(0);
    bucket.acquire(Long.MAX_VALUE / 2, () -> false);
    bucket.setRate(1024);
    assertThat(bucket.rate()).isEqualTo(1024);
    long started = System.nanoTime();
    bucket.acquire(1 << 20, () -> true);
    assertThat(System.nanoTime() - started)
        .as("a stop condition ends the wait")
        .isLessThan(TimeUnit.SECONDS.toNanos(5));
  }

  @Test
  @DisplayName("a limited migration takes at least as long as its bytes need at that rate")
  void limitedMigration() throws Exception {
    long rate = 4 << 20;
    try (PagedMemory source = Guests.random(512, 61)) {
      long started = System.nanoTime();
      Transfers.Outcome outcome =
          Transfers.migrate(
              source, new TcpTransport(), TransferOptions.defaults().withBandwidth(rate));
      double seconds = (System.nanoTime() - started) / 1e9;
      Transfers.assertIdentical(outcome, source).close();
      double burst = Math.max(64 << 10, rate / 20.0);
      assertThat(seconds)
          .isGreaterThanOrEqualTo((outcome.last().dataProcessed() - burst) / rate * 0.95);
    }
  }

  @Test
  @DisplayName("SetBandwidth lifts a limit while the migration runs")
  void setBandwidth() throws Exception {
    try (PagedMemory source = Guests.random(2048, 62);
        TargetAgent agent =
            TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, Duration.ofSeconds(10))) {
      Transfers.Outcome outcome =
          Transfers.migrate(
              source,
              agent.transport(),
              agent,
              TransferOptions.defaults().withBandwidth(64 << 10),
              out -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (out.progress().dataProcessed() == 0 && System.nanoTime() < deadline) {
                  TimeUnit.MILLISECONDS.sleep(5);
                }
                out.apply(new Directive.SetBandwidth(0));
              });
      Transfers.assertIdentical(outcome, source).close();
    }
  }

  @ParameterizedTest(name = "{0} channels")
  @ValueSource(ints = {2, 4})
  @DisplayName("several channels move a busy memory byte for byte")
  void channels(int channels) throws Exception {
    try (PagedMemory source = Guests.random(1536, 63);
        Guests.Writer writer = new Guests.Writer(source, 63, 16)) {
      Transfers.Outcome outcome =
          Transfers.migrate(
              source,
              new TcpTransport(),
              TransferOptions.defaults()
                  .withChannels(channels)
                  .withMaxDowntime(Duration.ofMillis(10)));
      ProgressSample last = outcome.last();
      Transfers.assertIdentical(outcome, source).close();
      assertThat(last.iteration()).isGreaterThanOrEqualTo(2);
      source.resume();
    }
  }

  @Test
  @DisplayName("SetMaxDowntime lets a migration that cannot converge finish")
  void setMaxDowntime() throws Exception {
    try (PagedMemory source = Guests.random(256, 64);
        Guests.Writer writer = new Guests.Writer(source, 64, 0);
        TargetAgent agent =
            TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, Duration.ofSeconds(10))) {
      Transfers.Outcome outcome =
          Transfers.migrate(
              source,
              agent.transport(),
              agent,
              TransferOptions.defaults()
                  .withBandwidth(2 << 20)
                  .withMaxDowntime(Duration.ofNanos(1)),
              out -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (out.progress().iteration() < 2 && System.nanoTime() < deadline) {
                  TimeUnit.MILLISECONDS.sleep(5);
                }
                out.apply(new Directive.SetMaxDowntime(Duration.ofSeconds(30)));
              });
      Transfers.assertIdentical(outcome, source).close();
      source.resume();
    }
  }
}
