package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The target agent's handshake")
class HandshakeTest {
  private final MigrationTransport tcp = new TcpTransport();
  private final TransferOptions options =
      TransferOptions.defaults().withIoTimeout(Duration.ofSeconds(10));

  @Test
  @DisplayName("refuses a wrong token, and the expected migration still succeeds afterwards")
  void wrongToken() throws Exception {
    try (TargetAgent agent = TargetAgent.start(tcp, Transfers.LOOPBACK, options.ioTimeout());
        PagedMemory source = Guests.random(16, 1)) {
      IncomingMigration incoming =
          agent.expect("uid-1", 4096, 16, () -> PagedMemory.allocate(4096, 16));

      assertThatThrownBy(
              () ->
                  OutgoingMigration.start(source, tcp, agent.address(), "uid-1", "forged", options))
          .isInstanceOf(TransferFailedException.class)
          .hasMessageContaining("refused")
          .hasMessageContaining("token");

      try (OutgoingMigration out =
          OutgoingMigration.start(
              source, tcp, agent.address(), "uid-1", incoming.token(), options)) {
        assertThat(out.completion().get().failureReason()).isEmpty();
      }
      try (PagedMemory target = (PagedMemory) incoming.completion().get()) {
        assertThat(target.mismatch(source)).isEqualTo(-1);
      }
      source.resume();
    }
  }

  @Test
  @DisplayName("refuses an unannounced uid, and a token used once is not accepted again")
  void oneTimeToken() throws Exception {
    try (TargetAgent agent = TargetAgent.start(tcp, Transfers.LOOPBACK, options.ioTimeout());
        PagedMemory source = Guests.random(16, 2)) {
      assertThatThrownBy(
              () -> OutgoingMigration.start(source, tcp, agent.address(), "nobody", "x", options))
          .isInstanceOf(TransferFailedException.class)
          .hasMessageContaining("no such migration is expected here, or the token is wrong")
          .hasMessageNotContaining("nobody");

      IncomingMigration incoming =
          agent.expect("uid-2", 4096, 16, () -> PagedMemory.allocate(4096, 16));
      try (OutgoingMigration out =
          OutgoingMigration.start(
              source, tcp, agent.address(), "uid-2", incoming.token(), options)) {
        out.completion().get();
      }
      try (PagedMemory target = (PagedMemory) incoming.completion().get()) {
        assertThat(target.mismatch(source)).isEqualTo(-1);
      }
      source.resume();
      assertThatThrownBy(
              () ->
                  OutgoingMigration.start(
                      source, tcp, agent.address(), "uid-2", incoming.token(), options))
          .isInstanceOf(TransferFailedException.class)
          .hasMessageContaining("no such migration is expected here, or the token is wrong");
    }
  }

  @Test
  @DisplayName("refuses memory of another geometry than announced")
  void geometry() throws Exception {
    try (TargetAgent agent = TargetAgent.start(tcp, Transfers.LOOPBACK, options.ioTimeout());
        PagedMemory source = Guests.random(16, 3)) {
      IncomingMigration incoming =
          agent.expect("uid-3", 4096, 32, () -> PagedMemory.allocate(4096, 32));
      assertThatThrownBy(
              () ->
                  OutgoingMigration.start(
                      source, tcp, agent.address(), "uid-3", incoming.token(), options))
          .isInstanceOf(TransferFailedException.class)
          .hasMessageContaining("16 pages")
          .hasMessageContaining("32 pages");
    }
  }

  @Test
  @DisplayName("answers a stranger's bytes with a refusal that says why, and keeps serving")
  void badMagic() throws Exception {
    try (TargetAgent agent = TargetAgent.start(tcp, Transfers.LOOPBACK, options.ioTimeout());
        Socket socket = new Socket("127.0.0.1", agent.address().getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] reply = in.readAllBytes();
      assertThat(new String(reply, StandardCharsets.UTF_8))
          .contains("not a live-migration data-plane connection");
    }
  }

  @Test
  @DisplayName("refuses a peer that speaks another protocol version")
  void version() throws Exception {
    try (TargetAgent agent = TargetAgent.start(tcp, Transfers.LOOPBACK, options.ioTimeout());
        Socket socket = new Socket("127.0.0.1", agent.address().getPort())) {
      socket.setSoTimeout(10_000);
      java.nio.ByteBuffer hello =
          Protocol.encodeHello(new Protocol.Hello((short) 9, 0, 1, 4096, 1, "u", "t"));
      socket.getOutputStream().write(hello.array(), 0, hello.limit());
      byte[] reply = socket.getInputStream().readAllBytes();
      assertThat(new String(reply, StandardCharsets.UTF_8))
          .contains("unsupported protocol version 9");
    }
  }
}
