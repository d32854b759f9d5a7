package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("A hostile source after a valid handshake causes a clean failure on the target")
class HostilePeerTest {
  private static final int PAGES = 16;

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  private static ByteBuffer sealed(ByteBuffer frame) {
    frame.flip();
    CRC32C crc = new CRC32C();
    crc.update(frame.duplicate());
    ByteBuffer out = ByteBuffer.allocate(frame.remaining() + 4);
    out.put(frame).putInt((int) crc.getValue());
    return out.flip();
  }

  private static ByteBuffer frame(String kind) {
    return switch (kind) {
      case "index" ->
          sealed(
              ByteBuffer.allocate(6).put(Protocol.PAGE).putInt(PAGES + 5).put(Protocol.KIND_ZERO));
      case "negative-index" ->
          sealed(ByteBuffer.allocate(6).put(Protocol.PAGE).putInt(-1).put(Protocol.KIND_ZERO));
      case "kind" -> sealed(ByteBuffer.allocate(6).put(Protocol.PAGE).putInt(1).put((byte) 7));
      case "type" -> sealed(ByteBuffer.allocate(1).put((byte) 0x7f));
      case "text" -> ByteBuffer.allocate(3).put(Protocol.ABORT).putShort((short) -1).flip();
      case "bitmap" ->
          ByteBuffer.allocate(13)
              .put(Protocol.POSTCOPY)
              .putLong(1)
              .putInt(Integer.MAX_VALUE)
              .flip();
      case "crc" ->
          ByteBuffer.allocate(6 + 4)
              .put(Protocol.PAGE)
              .putInt(1)
              .put(Protocol.KIND_ZERO)
              .putInt(12345)
              .flip();
      case "go-early" -> sealed(ByteBuffer.allocate(1).put(Protocol.GO));
      default -> throw new IllegalArgumentException(kind);
    };
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {"index", "negative-index", "kind", "type", "text", "bitmap", "crc", "go-early"})
  @DisplayName("a frame that lies")
  void lyingFrame(String kind) throws Exception {
    Function<Throwable, String> reason = e -> e.getCause().getMessage();
    try (TargetAgent agent =
        TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, Duration.ofSeconds(5))) {
      IncomingMigration incoming =
          agent.expect("hostile", 4096, PAGES, () -> PagedMemory.allocate(4096, PAGES));
      try (Socket socket = new Socket("127.0.0.1", agent.address().getPort())) {
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        ByteBuffer hello =
            Protocol.encodeHello(
                new Protocol.Hello(
                    Protocol.VERSION, 0, 1, 4096, PAGES, "hostile", incoming.token()));
        out.write(hello.array(), 0, hello.limit());
        DataInputStream in = new DataInputStream(socket.getInputStream());
        assertThat(in.readInt()).isEqualTo(Protocol.MAGIC);
        in.readShort();
        assertThat(in.readByte()).isEqualTo(Protocol.STATUS_ACCEPTED);
        in.readFully(new byte[in.readUnsignedShort()]);

        ByteBuffer bad = frame(kind);
        out.write(bad.array(), 0, bad.limit());
        out.flush();

        String why;
        try {
          incoming.completion().get(30, TimeUnit.SECONDS);
          why = "completed";
        } catch (ExecutionException e) {
          why = reason.apply(e);
        }
        assertThat(why).contains("corrupt frame");
        assertThat(agent.activeMigrations()).isZero();
      }
    }
  }
}
