package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A hostile target cannot make the source complete, flood it, or lie in its logs")
class HostileTargetTest {
  private static final TransferOptions OPTIONS =
      TransferOptions.defaults().withChannels(1).withIoTimeout(Duration.ofSeconds(1));

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  private static ProgressSample migrateTo(FakeTarget fake, PagedMemory source, boolean postCopy)
      throws Exception {
    try (OutgoingMigration out =
        OutgoingMigration.start(
            source, new TcpTransport(), fake.address(), "fake", "token", OPTIONS)) {
      if (postCopy) {
        out.apply(new Directive.SwitchToPostCopy());
      }
      return out.completion().get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("VERIFIED before the digest was sent is refused, and the source resumes")
  void verifiedEarly() throws Exception {
    try (PagedMemory source = Guests.random(64, 21);
        FakeTarget fake =
            new FakeTarget(
                peer -> {
                  peer.writer().verified(1, new byte[Protocol.DIGEST_BYTES]);
                  peer.writer().control(Protocol.RUNNING);
                  peer.writer().flush();
                  peer.until(Protocol.END);
                })) {
      ProgressSample last = migrateTo(fake, source, false);
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.failureReason())
          .hasValueSatisfying(reason -> assertThat(reason).contains("before the source sent"));
      assertThat(source.isPaused()).isFalse();
    }
  }

  @Test
  @DisplayName("VERIFIED of another digest than the one sent is refused")
  void verifiedOtherDigest() throws Exception {
    try (PagedMemory source = Guests.random(64, 22);
        FakeTarget fake =
            new FakeTarget(
                peer -> {
                  FakeTarget.Digest digest = peer.digest();
                  byte[] other = digest.digest().clone();
                  other[0] ^= 1;
                  peer.writer().verified(digest.sync(), other);
                  peer.writer().control(Protocol.RUNNING);
                  peer.writer().flush();
                  peer.until(Protocol.END);
                })) {
      ProgressSample last = migrateTo(fake, source, false);
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.failureReason())
          .hasValueSatisfying(reason -> assertThat(reason).contains("other than the one"));
      assertThat(source.isPaused()).isFalse();
    }
  }

  @Test
  @DisplayName("a flood of page requests is a protocol violation, not a heap of queued requests")
  void requestFlood() throws Exception {
    try (PagedMemory source = Guests.random(64, 23);
        FakeTarget fake =
            new FakeTarget(
                peer -> {
                  peer.until(Protocol.POSTCOPY);
                  peer.skip(Protocol.POSTCOPY);
                  peer.send(Protocol.SWITCHED);
                  try {
                    for (int i = 0; i < 1_000_000; i++) {
                      peer.writer().request(0);
                    }
                    peer.writer().flush();
                  } catch (IOException e) {
                    // The source cut us off, as it should.
                  }
                })) {
      ProgressSample last = migrateTo(fake, source, true);
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.failureReason())
          .hasValueSatisfying(reason -> assertThat(reason).contains("page requests"));
      source.resume();
    }
  }

  @Test
  @DisplayName("SWITCHED out of turn is refused before the go-ahead, and the source resumes")
  void switchedEarly() throws Exception {
    try (PagedMemory source = Guests.random(64, 24);
        FakeTarget fake =
            new FakeTarget(
                peer -> {
                  peer.send(Protocol.SWITCHED);
                  peer.until(Protocol.END);
                })) {
      ProgressSample last = migrateTo(fake, source, false);
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.failureReason())
          .hasValueSatisfying(reason -> assertThat(reason).contains("before the source asked"));
      assertThat(source.isPaused()).isFalse();
    }
  }

  @Test
  @DisplayName("a target's text with line breaks reaches the state as one escaped line")
  void errorTextEscaped() throws Exception {
    try (PagedMemory source = Guests.random(64, 25);
        FakeTarget fake =
            new FakeTarget(
                peer -> {
                  peer.writer()
                      .text(Protocol.ERROR, "no\n2099-01-01 INFO Migration completed successfully");
                  peer.writer().flush();
                  peer.until(Protocol.END);
                })) {
      ProgressSample last = migrateTo(fake, source, false);
      assertThat(last.failureReason())
          .hasValueSatisfying(
              reason ->
                  assertThat(reason)
                      .contains("no\\n2099-01-01 INFO")
                      .doesNotContain("\n")
                      .doesNotContain("\r"));
    }
  }
}
