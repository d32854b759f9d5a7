package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@DisplayName("The target agent releases what a broken or hostile peer held")
class AgentResourcesTest {
  private static final Duration IO = Duration.ofSeconds(1);
  private static final int REPLY = 4 + 2 + 1 + 2 + 8;
  private static final int VERIFIED = 1 + Protocol.VERIFIED_BODY + Protocol.CRC_BYTES;
  private static final int SWITCHED = 1 + Protocol.CRC_BYTES;

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  private static ProgressSample migrate(
      PagedMemory source, TargetAgent agent, FaultProxy proxy, boolean postCopy) throws Exception {
    String uid = UUID.randomUUID().toString();
    IncomingMigration incoming =
        agent.expect(uid, 4096, source.pageCount(), () -> PagedMemory.allocate(4096, 64));
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
      return out.completion().get(60, TimeUnit.SECONDS);
    }
  }

  @Nested
  @DisplayName("no socket stays open (CLOSE_WAIT) after the source vanished")
  class NoCloseWait {
    @Test
    @DisplayName("after the guest started in pre-copy")
    void afterStart() throws Exception {
      CountingTransport counting = new CountingTransport(new TcpTransport());
      try (PagedMemory source = Guests.random(64, 11);
          TargetAgent agent = TargetAgent.start(counting, Transfers.LOOPBACK, IO);
          FaultProxy proxy =
              FaultProxy.start(
                  agent.address(),
                  FaultProxy.Direction.TO_SOURCE,
                  FaultProxy.Fault.RESET,
                  REPLY + VERIFIED)) {
        migrate(source, agent, proxy, false);
        assertThat(counting.awaitNoneOpen(Duration.ofSeconds(10)))
            .as("the agent's sockets still open")
            .isZero();
        source.resume();
      }
    }

    @Test
    @DisplayName("after post-copy ended")
    void afterPostCopy() throws Exception {
      CountingTransport counting = new CountingTransport(new TcpTransport());
      try (PagedMemory source = Guests.random(64, 12);
          TargetAgent agent = TargetAgent.start(counting, Transfers.LOOPBACK, IO);
          FaultProxy proxy =
              FaultProxy.start(
                  agent.address(),
                  FaultProxy.Direction.TO_SOURCE,
                  FaultProxy.Fault.STALL,
                  REPLY + SWITCHED)) {
        migrate(source, agent, proxy, true);
        proxy.close();
        assertThat(counting.awaitNoneOpen(Duration.ofSeconds(10)))
            .as("the agent's sockets still open")
            .isZero();
        source.resume();
      }
    }
  }

  @Test
  @DisplayName("close() closes the channels of a guest that started, whose source stays silent")
  void closeReleasesStartedChannels() throws Exception {
    dev.livemigration.core.dataplane.transport.TlsTransport tls = TestPki.get().trusted();
    CountingTransport counting = new CountingTransport(tls);
    TargetAgent agent = TargetAgent.start(counting, Transfers.LOOPBACK, Duration.ofSeconds(30));
    try (PagedMemory zeros = PagedMemory.allocate(4096, 16)) {
      IncomingMigration incoming =
          agent.expect("started", 4096, 16, () -> PagedMemory.allocate(4096, 16));
      Connection source = new Connection(tls.connect(agent.address(), IO), "fake source");
      try {
        SourceHandshake.run(
            source,
            new Protocol.Hello(Protocol.VERSION, 0, 1, 4096, 16, "started", incoming.token()),
            agent.address());
        FrameWriter writer =
            new FrameWriter(
                source,
                4096,
                new TokenBucket(0),
                () -> false,
                new java.util.concurrent.atomic.LongAdder());
        int[] crcs = new int[16];
        for (int i = 0; i < 16; i++) {
          crcs[i] = writer.page(i, zeros);
        }
        writer.control(Protocol.SYNC, 1);
        writer.digest(1, Protocol.digest(crcs));
        writer.control(Protocol.GO);
        writer.flush();
        incoming.completion().get(10, TimeUnit.SECONDS);
        // The source sends no END and stays connected.
        agent.close();
        assertThat(counting.awaitNoneOpen(Duration.ofSeconds(3)))
            .as("the agent's sockets still open after close()")
            .isZero();
      } finally {
        source.close();
        agent.close();
      }
    }
  }

  private static byte[] hello(String uid, String token, int channel, int channels) {
    ByteBuffer hello =
        Protocol.encodeHello(
            new Protocol.Hello(Protocol.VERSION, channel, channels, 4096, 16, uid, token));
    byte[] bytes = new byte[hello.remaining()];
    hello.get(bytes);
    return bytes;
  }

  private static String failureOf(IncomingMigration incoming, Duration bound) throws Exception {
    try {
      incoming.completion().get(bound.toMillis(), TimeUnit.MILLISECONDS);
      return "completed";
    } catch (ExecutionException e) {
      return e.getCause().getMessage();
    }
  }

  @Test
  @DisplayName("a reset right after the handshake fails the migration and releases it")
  void resetAfterHandshake() throws Exception {
    try (TargetAgent agent = TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, IO)) {
      List<IncomingMigration> all = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        IncomingMigration incoming =
            agent.expect("reset-" + i, 4096, 16, () -> PagedMemory.allocate(4096, 16));
        all.add(incoming);
        try (Socket socket = new Socket("127.0.0.1", agent.address().getPort())) {
          socket.getOutputStream().write(hello(incoming.uid(), incoming.token(), 0, 1));
          socket.setSoLinger(true, 0);
        }
      }
      for (IncomingMigration incoming : all) {
        assertThat(failureOf(incoming, Duration.ofSeconds(10))).isNotEqualTo("completed");
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (agent.activeMigrations() > 0 && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(20);
      }
      assertThat(agent.activeMigrations()).isZero();
    }
  }

  @Test
  @DisplayName("an attached but silent source fails within the I/O timeout")
  void silentAfterHandshake() throws Exception {
    try (TargetAgent agent = TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, IO)) {
      IncomingMigration incoming =
          agent.expect("silent", 4096, 16, () -> PagedMemory.allocate(4096, 16));
      try (Socket socket = new Socket("127.0.0.1", agent.address().getPort())) {
        socket.getOutputStream().write(hello("silent", incoming.token(), 0, 2));
        long started = System.nanoTime();
        String why = failureOf(incoming, Duration.ofSeconds(30));
        assertThat(why).contains("timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .isLessThan(Duration.ofSeconds(10));
        assertThat(agent.activeMigrations()).isZero();
      }
    }
  }

  @Test
  @DisplayName("a handshake trickled a byte at a time is cut at its deadline")
  void trickledHandshake() throws Exception {
    try (TargetAgent agent = TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, IO)) {
      IncomingMigration incoming =
          agent.expect("trickle", 4096, 16, () -> PagedMemory.allocate(4096, 16));
      byte[] hello = hello("trickle", incoming.token(), 0, 1);
      try (Socket socket = new Socket("127.0.0.1", agent.address().getPort())) {
        socket.setSoTimeout(200);
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        long started = System.nanoTime();
        boolean cut = false;
        for (int i = 0; i < hello.length - 1 && !cut; i++) {
          try {
            out.write(hello[i]);
            out.flush();
          } catch (java.io.IOException e) {
            cut = true;
            break;
          }
          try {
            cut = in.read() < 0;
          } catch (SocketTimeoutException e) {
            // Still open.
          } catch (java.io.IOException e) {
            cut = true;
          }
          if (Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(15)) > 0) {
            break;
          }
          TimeUnit.MILLISECONDS.sleep(100);
        }
        LoggerFactory.getLogger(AgentResourcesTest.class)
            .info(
                "A trickled handshake was cut after {} ms",
                Duration.ofNanos(System.nanoTime() - started).toMillis());
        assertThat(cut).as("the agent cut the trickling handshake").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .isLessThan(Duration.ofSeconds(10));
      }
    }
  }

  @Test
  @DisplayName(
      "idle unauthenticated connections are capped; beyond the cap they are closed at once")
  void handshakeCap() throws Exception {
    try (TargetAgent agent =
        TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, Duration.ofSeconds(20))) {
      List<Socket> idle = new ArrayList<>();
      try {
        for (int i = 0; i < 3 * TargetAgent.MAX_HANDSHAKES; i++) {
          idle.add(new Socket("127.0.0.1", agent.address().getPort()));
        }
        TimeUnit.MILLISECONDS.sleep(500);
        long threads =
            Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().contains("-conn-"))
                .filter(t -> t.getName().startsWith("lm-dataplane-agent-"))
                .count();
        assertThat(threads).isLessThanOrEqualTo(TargetAgent.MAX_HANDSHAKES + 4);
        Socket last = idle.get(idle.size() - 1);
        last.setSoTimeout(5_000);
        assertThat(last.getInputStream().read()).as("closed at once, unread").isEqualTo(-1);
      } finally {
        for (Socket socket : idle) {
          socket.close();
        }
      }
    }
  }
}
