package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.core.dataplane.transport.TcpTransport;
import dev.livemigration.core.dataplane.transport.TlsTransport;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("What peers say, and what is said to them")
class PeerTextTest {
  private static final String FORGED = "no\n2099-01-01 INFO Migration completed successfully";
  private static final TransferOptions OPTIONS =
      TransferOptions.defaults().withChannels(1).withIoTimeout(Duration.ofSeconds(2));

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  @Test
  @DisplayName("printable escapes control, separator and format characters")
  void printable() {
    assertThat(Protocol.printable("a\nb\rc\td\\e\u0000\u001b[31m\u2028\u202e"))
        .isEqualTo("a\\nb\\rc\\td\\\\e\\u0000\\u001b[31m\\u2028\\u202e");
    assertThat(Protocol.printable("plain text, ünïcode")).isEqualTo("plain text, ünïcode");
  }

  @Test
  @DisplayName("a target's refusal with line breaks is one escaped line")
  void refusalEscaped() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        PagedMemory source = Guests.random(16, 41)) {
      Thread fake =
          new Thread(
              () -> {
                try (Socket socket = server.accept()) {
                  ByteBuffer reply = Protocol.encodeReply(false, FORGED);
                  socket.getOutputStream().write(reply.array(), 0, reply.limit());
                  socket.getInputStream().readNBytes(64);
                } catch (java.io.IOException e) {
                  // The test reports.
                }
              },
              "fake-refuser");
      fake.setDaemon(true);
      fake.start();
      InetSocketAddress address =
          new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
      assertThatThrownBy(
              () -> OutgoingMigration.start(source, new TcpTransport(), address, "u", "t", OPTIONS))
          .isInstanceOf(TransferFailedException.class)
          .hasMessageContaining("no\\n2099-01-01 INFO")
          .hasMessageNotContaining("\n");
      fake.join(5_000);
    }
  }

  @Test
  @DisplayName("a source's abort reason with line breaks is one escaped line on the target")
  void abortEscaped() throws Exception {
    try (TargetAgent agent =
        TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, Duration.ofSeconds(5))) {
      IncomingMigration incoming =
          agent.expect("abort", 4096, 16, () -> PagedMemory.allocate(4096, 16));
      try (Socket socket = new Socket("127.0.0.1", agent.address().getPort())) {
        OutputStream out = socket.getOutputStream();
        ByteBuffer hello =
            Protocol.encodeHello(
                new Protocol.Hello(Protocol.VERSION, 0, 1, 4096, 16, "abort", incoming.token()));
        out.write(hello.array(), 0, hello.limit());
        DataInputStream in = new DataInputStream(socket.getInputStream());
        in.readFully(new byte[4 + 2 + 1]);
        in.readFully(new byte[in.readUnsignedShort()]);
        byte[] text = FORGED.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer frame = ByteBuffer.allocate(3 + text.length);
        frame.put(Protocol.ABORT).putShort((short) text.length).put(text).flip();
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(frame.duplicate());
        out.write(frame.array(), 0, frame.limit());
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        out.flush();
        String why;
        try {
          incoming.completion().get(10, TimeUnit.SECONDS);
          why = "completed";
        } catch (ExecutionException e) {
          why = e.getCause().getMessage();
        }
        assertThat(why).contains("no\\n2099-01-01").doesNotContain("\n");
      }
    }
  }

  @Test
  @DisplayName("an unknown uid and a wrong token get the same words, naming no uid")
  void strangersLearnNothing() throws Exception {
    TcpTransport tcp = new TcpTransport();
    try (TargetAgent agent = TargetAgent.start(tcp, Transfers.LOOPBACK, Duration.ofSeconds(5));
        PagedMemory source = Guests.random(16, 42)) {
      agent.expect("secret-uid", 4096, 16, () -> PagedMemory.allocate(4096, 16));
      String unknown = refusal(source, tcp, agent, "other-uid", "x");
      String wrongToken = refusal(source, tcp, agent, "secret-uid", "x");
      assertThat(unknown).isEqualTo(wrongToken).doesNotContain("uid");
    }
  }

  private static String refusal(
      PagedMemory source, TcpTransport tcp, TargetAgent agent, String uid, String token) {
    try {
      OutgoingMigration.start(source, tcp, agent.address(), uid, token, OPTIONS).close();
      return "accepted";
    } catch (TransferFailedException e) {
      return e.getMessage();
    }
  }

  @Test
  @DisplayName("plain TCP on a TLS agent's port is told that the agent expects TLS")
  void tcpOnTlsPort() throws Exception {
    TlsTransport tls = TestPki.get().trusted();
    try (TargetAgent agent = TargetAgent.start(tls, Transfers.LOOPBACK, Duration.ofSeconds(5));
        PagedMemory source = Guests.random(16, 43)) {
      IncomingMigration incoming =
          agent.expect("plain", 4096, 16, () -> PagedMemory.allocate(4096, 16));
      assertThatThrownBy(
              () ->
                  OutgoingMigration.start(
                      source,
                      new TcpTransport(),
                      agent.address(),
                      "plain",
                      incoming.token(),
                      OPTIONS))
          .isInstanceOf(TransferFailedException.class)
          .hasMessageContaining("TLS")
          .hasMessageContaining("transport tls");
    }
  }

  @Test
  @DisplayName("TLS on a plain-TCP agent's port is told that the agent uses plain TCP")
  void tlsOnTcpPort() throws Exception {
    TlsTransport tls = TestPki.get().trusted();
    try (TargetAgent agent =
            TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, Duration.ofSeconds(5));
        PagedMemory source = Guests.random(16, 44)) {
      IncomingMigration incoming =
          agent.expect("tls", 4096, 16, () -> PagedMemory.allocate(4096, 16));
      assertThatThrownBy(
              () ->
                  OutgoingMigration.start(
                      source, tls, agent.address(), "tls", incoming.token(), OPTIONS))
          .isInstanceOf(TransferFailedException.class)
          .hasMessageContaining("plain TCP");
    }
  }
}
