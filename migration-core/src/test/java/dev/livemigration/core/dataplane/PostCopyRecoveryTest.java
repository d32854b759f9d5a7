package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.io.DataInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@DisplayName("Post-copy over a broken link")
class PostCopyRecoveryTest {
  private static final Duration IO = Duration.ofSeconds(2);
  private static final int PAGES = 2048;
  // Slow while the link is broken and resumed, so that post-copy cannot end first on any machine;
  // unlimited once the test is done breaking things.
  private static final long SLOW = 512 << 10;

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  /** One migration in post-copy: a source, a target agent and the memory it made. */
  private static final class Run implements AutoCloseable {
    final PagedMemory source;
    final TargetAgent agent;
    final IncomingMigration incoming;
    final OutgoingMigration out;
    final AtomicReference<PagedMemory> made;

    Run(
        PagedMemory source,
        TargetAgent agent,
        IncomingMigration incoming,
        OutgoingMigration out,
        AtomicReference<PagedMemory> made) {
      this.source = source;
      this.agent = agent;
      this.incoming = incoming;
      this.out = out;
      this.made = made;
    }

    static Run start(MigrationTransport transport, int channels, Duration budget) throws Exception {
      return start(transport, channels, budget, null, 11);
    }

    /** Starts a migration in post-copy; {@code via} replaces the agent's address if given. */
    static Run start(
        MigrationTransport transport,
        int channels,
        Duration budget,
        java.util.function.Function<InetSocketAddress, InetSocketAddress> via,
        long seed)
        throws Exception {
      PagedMemory source = Guests.random(PAGES, seed);
      TargetAgent agent =
          TargetAgent.start(new TcpTransport(), java.util.List.of(Transfers.LOOPBACK), IO, budget);
      AtomicReference<PagedMemory> made = new AtomicReference<>();
      IncomingMigration incoming =
          agent.expect(
              "recover",
              4096,
              PAGES,
              () -> {
                PagedMemory memory = PagedMemory.allocate(4096, PAGES);
                made.set(memory);
                return memory;
              });
      InetSocketAddress address = via == null ? agent.address() : via.apply(agent.address());
      OutgoingMigration out =
          OutgoingMigration.start(
              source,
              transport,
              address,
              "recover",
              incoming.token(),
              TransferOptions.defaults()
                  .withChannels(channels)
                  .withIoTimeout(IO)
                  .withBandwidth(SLOW)
                  .withPostCopyRecoveryBudget(budget));
      out.apply(new Directive.SwitchToPostCopy());
      Run run = new Run(source, agent, incoming, out, made);
      run.await(s -> s.mode() == MigrationMode.POST_COPY, "post-copy");
      return run;
    }

    ProgressSample await(Predicate<ProgressSample> condition, String what) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        ProgressSample sample = out.progress();
        if (condition.test(sample)) {
          return sample;
        }
        assertThat(out.completion().isDone())
            .as("the migration ended before %s: %s", what, sample)
            .isFalse();
        assertThat(System.nanoTime()).as("waiting for %s: %s", what, sample).isLessThan(deadline);
        TimeUnit.MILLISECONDS.sleep(2);
      }
    }

    /** Lets the migration finish at full speed and checks it arrived byte for byte, once each. */
    ProgressSample finishIdentical() throws Exception {
      out.apply(new Directive.SetBandwidth(0));
      ProgressSample last = out.completion().get(60, TimeUnit.SECONDS);
      assertThat(last.status())
          .as("status, failure: %s", last.failureReason())
          .isEqualTo(ProgressSample.Status.COMPLETED);
      assertThat(last.mode()).isEqualTo(MigrationMode.POST_COPY);
      PagedMemory target = (PagedMemory) incoming.completion().get(30, TimeUnit.SECONDS);
      assertThat(target.mismatch(source)).as("no page lost or stale").isEqualTo(-1);
      assertThat(incoming.duplicates()).as("pages applied twice").isZero();
      assertThat(out.sentAfterSwitch()).isGreaterThanOrEqualTo(out.staleAtSwitch());
      return last;
    }

    int missingPage() {
      PagedMemory target = made.get();
      for (int page = PAGES - 1; page >= 0; page--) {
        if (!target.isPresent(page)) {
          return page;
        }
      }
      return -1;
    }

    int presentPage() {
      PagedMemory target = made.get();
      for (int page = 0; page < PAGES; page++) {
        if (target.isPresent(page)) {
          return page;
        }
      }
      return -1;
    }

    @Override
    public void close() {
      out.close();
      agent.close();
      PagedMemory target = made.get();
      if (target != null) {
        target.close();
      }
      source.resume();
      source.close();
    }
  }

  @Test
  @DisplayName(
      "a reset pauses the migration: the guest keeps its pages and waits for the others, the source"
          + " reconnects, and it resumes and ends byte for byte")
  void reset() throws Exception {
    Breaks breaks = new Breaks(new TcpTransport());
    try (Run run = Run.start(breaks, 1, Duration.ofMinutes(1))) {
      run.await(s -> run.presentPage() >= 0, "a page on the target");
      breaks.hold();
      assertThat(breaks.breakLinks()).isPositive();
      ProgressSample paused =
          run.await(
              s -> s.mode() == MigrationMode.POST_COPY_PAUSED && s.reconnectAttempts() >= 2,
              "a pause with two reconnect attempts");
      assertThat(paused.linkFailure()).isPresent();
      assertThat(paused.status()).isEqualTo(ProgressSample.Status.ACTIVE);

      PagedMemory target = run.made.get();
      int present = run.presentPage();
      int missing = run.missingPage();
      assertThat(present).as("a page the target has").isNotNegative();
      assertThat(missing).as("a page the target lacks").isNotNegative();
      // The guest's access to a page it has works while paused; one it lacks waits.
      target.read((long) present * 4096, 64);
      CompletableFuture<byte[]> waiting =
          CompletableFuture.supplyAsync(() -> target.read((long) missing * 4096, 64));
      assertThat(run.incoming.completion()).as("the target did not give up").isNotDone();

      breaks.release();
      run.await(s -> s.mode() == MigrationMode.POST_COPY, "the resume");
      byte[] fetched = waiting.get(30, TimeUnit.SECONDS);
      assertThat(fetched).isEqualTo(run.source.read((long) missing * 4096, 64));
      ProgressSample last = run.finishIdentical();
      assertThat(last.linkRecoveries()).isEqualTo(1);
      assertThat(run.incoming.resumes()).isEqualTo(1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = FaultProxy.Fault.class,
      names = {"RESET", "STALL"})
  @DisplayName("a reset or a stall past the I/O timeout on the wire is recovered from")
  void onTheWire(FaultProxy.Fault fault) throws Exception {
    AtomicReference<FaultProxy> proxy = new AtomicReference<>();
    try (Run run =
        Run.start(
            new TcpTransport(),
            1,
            Duration.ofMinutes(1),
            agent -> {
              try {
                proxy.set(FaultProxy.start(agent, FaultProxy.Direction.TO_TARGET, fault, 1 << 20));
                return proxy.get().address();
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            12)) {
      try {
        run.await(s -> s.linkRecoveries() == 1, "a recovered link");
        assertThat(proxy.get().fired()).isTrue();
        assertThat(proxy.get().accepted()).as("connections through the proxy").isGreaterThan(1);
        run.finishIdentical();
      } finally {
        proxy.get().close();
      }
    }
  }

  @Test
  @DisplayName("several breaks in a row are each recovered from")
  void severalBreaks() throws Exception {
    Breaks breaks = new Breaks(new TcpTransport());
    try (Run run = Run.start(breaks, 2, Duration.ofMinutes(1))) {
      for (int i = 1; i <= 3; i++) {
        assertThat(breaks.breakLinks()).isPositive();
        int recoveries = i;
        run.await(s -> s.linkRecoveries() == recoveries, "recovery " + i);
      }
      ProgressSample last = run.finishIdentical();
      assertThat(last.linkRecoveries()).isEqualTo(3);
      assertThat(run.incoming.resumes()).isEqualTo(3);
    }
  }

  @Test
  @DisplayName("a break during the reconnect handshake is one more failed attempt")
  void breakDuringResume() throws Exception {
    Breaks breaks = new Breaks(new TcpTransport());
    // Connections 0 and 1 are the first two channels. The first attempt to resume (2) breaks in
    // channel 0's handshake; the second (3, 4) after channel 0 resumed, in channel 1's; the third
    // resumes.
    breaks.cutAfterHandshake(2);
    breaks.cutAfterHandshake(4);
    try (Run run = Run.start(breaks, 2, Duration.ofMinutes(1))) {
      assertThat(breaks.breakLinks()).isPositive();
      run.await(s -> s.linkRecoveries() == 1, "a recovered link");
      assertThat(breaks.connects()).isGreaterThanOrEqualTo(7);
      run.finishIdentical();
    }
  }

  @Test
  @DisplayName("a break on one of several channels pauses and resumes them all")
  void oneOfSeveralChannels() throws Exception {
    Breaks breaks = new Breaks(new TcpTransport());
    try (Run run = Run.start(breaks, 3, Duration.ofMinutes(1))) {
      assertThat(breaks.breaker.breakLink(2)).isTrue();
      run.await(s -> s.linkRecoveries() == 1, "a recovered link");
      ProgressSample last = run.finishIdentical();
      assertThat(last.linkRecoveries()).isEqualTo(1);
    }
  }

  @Test
  @DisplayName(
      "when the recovery budget runs out the migration fails with a reason that says the guest is"
          + " lost")
  void budgetRunsOut() throws Exception {
    Breaks breaks = new Breaks(new TcpTransport());
    try (Run run = Run.start(breaks, 1, Duration.ofSeconds(1))) {
      breaks.hold();
      breaks.breakLinks();
      ProgressSample last = run.out.completion().get(60, TimeUnit.SECONDS);
      assertThat(last.status()).isEqualTo(ProgressSample.Status.FAILED);
      assertThat(last.failureReason())
          .hasValueSatisfying(
              reason ->
                  assertThat(reason).contains("recovery budget").contains("guest on the target"));
      assertThat(breaks.refused()).as("reconnect attempts").isPositive();
      assertThat(run.source.isPaused()).as("the source cannot resume a guest that moved").isTrue();
      // The target gives up too, at the latest after its own wait.
      try {
        run.incoming.completion().get(60, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        assertThat(e.getCause().getMessage()).contains("post-copy failed");
      }
      assertThat(run.incoming.completion()).isCompletedExceptionally();
    }
  }

  @Nested
  @DisplayName("a peer that tries to resume someone else's migration")
  class Strangers {
    @Test
    @DisplayName(
        "is refused at once, with a forged token, the one-time token or another migration's resume"
            + " token, and the migration goes on untouched")
    void refused() throws Exception {
      TcpTransport tcp = new TcpTransport();
      try (Run run = Run.start(tcp, 1, Duration.ofMinutes(1))) {
        IncomingMigration other =
            run.agent.expect("other", 4096, 16, () -> PagedMemory.allocate(4096, 16));
        String othersResume = Protocol.resumeToken("other", other.token());
        for (String token :
            new String[] {
              "forged", run.incoming.token(), othersResume, Protocol.resumeToken("recover", "x")
            }) {
          assertThat(resume(run.agent.address(), "recover", token))
              .as("the agent's answer to token %s", token)
              .isEqualTo(Protocol.STATUS_REFUSED);
        }
        // The other migration's own resume token does not resume it either: it is not in
        // post-copy.
        assertThat(resume(run.agent.address(), "other", othersResume))
            .isEqualTo(Protocol.STATUS_REFUSED);
        assertThat(run.out.progress().mode()).isEqualTo(MigrationMode.POST_COPY);
        ProgressSample last = run.finishIdentical();
        assertThat(last.linkRecoveries()).isZero();
        assertThat(run.incoming.resumes()).isZero();
        other.cancel();
      }
    }

    /** Sends a RESUME for channel 0 and returns the agent's status byte. */
    private byte resume(InetSocketAddress agent, String uid, String token) throws Exception {
      try (Socket socket = new Socket()) {
        socket.connect(agent, 5_000);
        // Refused at once: well within the I/O timeout, and never a silent wait.
        socket.setSoTimeout((int) IO.toMillis());
        ByteBuffer hello = Protocol.encodeResume(new Protocol.Resume(0, 1, 0, uid, token));
        socket.getOutputStream().write(hello.array(), 0, hello.remaining());
        InputStream in = socket.getInputStream();
        DataInputStream data = new DataInputStream(in);
        assertThat(data.readInt()).isEqualTo(Protocol.MAGIC);
        data.readShort();
        return data.readByte();
      }
    }
  }
}
