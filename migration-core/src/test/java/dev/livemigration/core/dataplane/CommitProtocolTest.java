package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("At and after the go-ahead, the source reports where the guest really runs")
class CommitProtocolTest {
  private static final Duration IO = Duration.ofSeconds(1);
  private static final TransferOptions OPTIONS =
      TransferOptions.defaults().withChannels(1).withIoTimeout(IO);

  /** The handshake reply ("accepted"): 17 bytes; a VERIFIED frame: 45; SWITCHED: 5. */
  private static final int REPLY = 4 + 2 + 1 + 2 + 8;

  private static final int VERIFIED = 1 + Protocol.VERIFIED_BODY + Protocol.CRC_BYTES;
  private static final int SWITCHED = 1 + Protocol.CRC_BYTES;

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  private record Run(ProgressSample last, IncomingMigration incoming) {}

  private static Run migrateThrough(
      PagedMemory source,
      TargetAgent agent,
      FaultProxy proxy,
      TransferOptions options,
      boolean postCopy)
      throws Exception {
    String uid = UUID.randomUUID().toString();
    IncomingMigration incoming =
        agent.expect(
            uid,
            source.pageSize(),
            source.pageCount(),
            () -> PagedMemory.allocate(source.pageSize(), source.pageCount()));
    try (OutgoingMigration out =
        OutgoingMigration.start(
            source, new TcpTransport(), proxy.address(), uid, incoming.token(), options)) {
      if (postCopy) {
        out.apply(new Directive.SwitchToPostCopy());
      }
      return new Run(out.completion().get(60, TimeUnit.SECONDS), incoming);
    }
  }

  @Test
  @DisplayName("pre-copy: the target's RUNNING is lost, the source asks and reports Succeeded")
  void preCopyConfirmationLost() throws Exception {
    try (PagedMemory source = Guests.random(64, 1);
        TargetAgent agent = TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, IO);
        FaultProxy proxy =
            FaultProxy.start(
                agent.address(),
                FaultProxy.Direction.TO_SOURCE,
                FaultProxy.Fault.RESET,
                REPLY + VERIFIED)) {
      Run run = migrateThrough(source, agent, proxy, OPTIONS, false);
      assertThat(proxy.fired()).isTrue();
      assertThat(run.last().status())
          .as("status, failure: %s", run.last().failureReason())
          .isEqualTo(ProgressSample.Status.COMPLETED);
      PagedMemory target = (PagedMemory) run.incoming().completion().get(10, TimeUnit.SECONDS);
      assertThat(target.mismatch(source)).isEqualTo(-1);
      assertThat(source.isPaused()).as("the guest moved: the source stays paused").isTrue();
      assertThat(proxy.accepted())
          .as("the outcome query came on a new connection")
          .isGreaterThanOrEqualTo(2);
      source.resume();
    }
  }

  @Test
  @DisplayName("post-copy: the target's VERIFIED stalls, the source asks and reports Succeeded")
  void postCopyConfirmationLost() throws Exception {
    try (PagedMemory source = Guests.random(256, 2);
        TargetAgent agent = TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, IO);
        FaultProxy proxy =
            FaultProxy.start(
                agent.address(),
                FaultProxy.Direction.TO_SOURCE,
                FaultProxy.Fault.STALL,
                REPLY + SWITCHED)) {
      Run run = migrateThrough(source, agent, proxy, OPTIONS, true);
      assertThat(run.last().status())
          .as("status, failure: %s", run.last().failureReason())
          .isEqualTo(ProgressSample.Status.COMPLETED);
      assertThat(run.last().mode()).isEqualTo(MigrationMode.POST_COPY);
      PagedMemory target = (PagedMemory) run.incoming().completion().get(10, TimeUnit.SECONDS);
      assertThat(target.mismatch(source)).isEqualTo(-1);
      assertThat(source.isPaused()).isTrue();
      source.resume();
    }
  }

  @Test
  @DisplayName(
      "post-copy with recovery off: the target's own failure says how many pages are lost, and so"
          + " does the source")
  void postCopyPagesLost() throws Exception {
    try (PagedMemory source = Guests.random(2048, 3);
        TargetAgent agent = TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, IO);
        FaultProxy proxy =
            FaultProxy.start(
                agent.address(), FaultProxy.Direction.TO_TARGET, FaultProxy.Fault.RESET, 1 << 20)) {
      Run run =
          migrateThrough(
              source,
              agent,
              proxy,
              OPTIONS.withBandwidth(4 << 20).withPostCopyRecoveryBudget(Duration.ZERO),
              true);
      assertThat(run.last().status()).isEqualTo(ProgressSample.Status.FAILED);
      String targetReason;
      try {
        run.incoming().completion().get(10, TimeUnit.SECONDS);
        targetReason = "completed";
      } catch (ExecutionException e) {
        targetReason = e.getCause().getMessage();
      }
      assertThat(targetReason).containsPattern("post-copy failed: [1-9][0-9]* of 2048 pages");
      assertThat(targetReason).contains("lost");
      assertThat(run.last().failureReason())
          .hasValueSatisfying(
              reason ->
                  assertThat(reason)
                      .containsPattern("lost [1-9][0-9]* of 2048 pages")
                      .contains("operator"));
      assertThat(source.isPaused()).as("the guest ran on the target").isTrue();
      source.resume();
    }
  }

  private static FakeTarget.Script verifyThenVanish(Verdict answer) {
    return new FakeTarget.Script() {
      @Override
      public void run(FakeTarget.Peer peer) throws java.io.IOException {
        FakeTarget.Digest digest = peer.digest();
        peer.writer().verified(digest.sync(), digest.digest());
        peer.writer().flush();
        peer.until(Protocol.GO);
        // Vanish: the connection closes without a RUNNING.
      }

      @Override
      public Verdict query(String uid) {
        return answer;
      }
    };
  }

  private static ProgressSample migrateTo(FakeTarget fake, PagedMemory source) throws Exception {
    try (OutgoingMigration out =
        OutgoingMigration.start(
            source, new TcpTransport(), fake.address(), "fake", "token", OPTIONS)) {
      return out.completion().get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName(
      "pre-copy: after GO the target vanishes, then proves it did not start: the source resumes")
  void provenNotStarted() throws Exception {
    try (PagedMemory source = Guests.random(64, 4);
        FakeTarget fake =
            new FakeTarget(
                verifyThenVanish(
                    new Verdict(Verdict.Kind.NOT_STARTED, 0, 64, "GO never arrived")))) {
      ProgressSample last = migrateTo(fake, source);
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.failureReason())
          .hasValueSatisfying(
              reason -> assertThat(reason).contains("did not start").contains("resumed"));
      assertThat(fake.queries()).isPositive();
      assertThat(source.isPaused()).as("proof given: the source runs on").isFalse();
    }
  }

  @Test
  @DisplayName("pre-copy: after GO the target vanishes and cannot be asked: unknown, source paused")
  void unknownNeedsOperator() throws Exception {
    try (PagedMemory source = Guests.random(64, 5);
        FakeTarget fake = new FakeTarget(verifyThenVanish(null))) {
      long started = System.nanoTime();
      ProgressSample last = migrateTo(fake, source);
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.failureReason())
          .hasValueSatisfying(
              reason ->
                  assertThat(reason)
                      .contains("location is unknown")
                      .contains("source stays paused")
                      .contains("operator"));
      assertThat(source.isPaused()).as("no proof: the source must not resume").isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
      source.resume();
    }
  }

  @Test
  @DisplayName("a target that does not know the migration is no proof either")
  void unknownVerdict() throws Exception {
    try (PagedMemory source = Guests.random(64, 6);
        FakeTarget fake = new FakeTarget(verifyThenVanish(Verdict.unknown("never heard of it")))) {
      ProgressSample last = migrateTo(fake, source);
      assertThat(last.failureReason())
          .hasValueSatisfying(reason -> assertThat(reason).contains("location is unknown"));
      assertThat(source.isPaused()).isTrue();
      source.resume();
    }
  }
}
