package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.MigrationCompression;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import dev.livemigration.core.dataplane.transport.Transports;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("zstd compression on the data plane's channels")
@SuppressWarnings("try") // resources that only need closing, like a busy guest
class CompressionTest {
  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  /** Memory whose pages repeat a short text: it compresses well. */
  static PagedMemory repetitive(int pages) {
    PagedMemory memory = PagedMemory.allocate(PagedMemory.DEFAULT_PAGE_SIZE, pages);
    byte[] page = new byte[PagedMemory.DEFAULT_PAGE_SIZE];
    for (int i = 0; i < pages; i++) {
      byte[] text =
          ("page " + i + " of a guest that logs the same lines; ")
              .getBytes(StandardCharsets.US_ASCII);
      for (int at = 0; at < page.length; at++) {
        page[at] = text[at % text.length];
      }
      memory.write((long) i * page.length, page);
    }
    return memory;
  }

  @Nested
  @DisplayName("round trips on real sockets")
  class RoundTrip {
    @ParameterizedTest(name = "{0} channel(s)")
    @ValueSource(ints = {1, 3})
    @DisplayName("a busy, compressible guest arrives byte for byte, in fewer bytes on the wire")
    void compressible(int channels) throws Exception {
      CountingTransport plainWire = new CountingTransport(new TcpTransport());
      CountingTransport zstdWire = new CountingTransport(new TcpTransport());
      TransferOptions options =
          TransferOptions.defaults().withChannels(channels).withMaxDowntime(Duration.ofMillis(50));
      try (PagedMemory source = repetitive(2048)) {
        Transfers.Outcome plain = Transfers.migrate(source, plainWire, options);
        Transfers.assertIdentical(plain, source).close();
        source.resume();

        try (Guests.Writer writer = new Guests.Writer(source, 21, 64, 64)) {
          Transfers.Outcome zstd =
              Transfers.migrate(
                  source, zstdWire, options.withCompression(MigrationCompression.ZSTD));
          Transfers.assertIdentical(zstd, source).close();
        }
        assertThat(zstdWire.received())
            .as("bytes on the wire with zstd, against %s without", plainWire.received())
            .isLessThan(plainWire.received() / 4);
        source.resume();
      }
    }

    @Test
    @DisplayName("random memory (incompressible) arrives byte for byte too")
    void incompressible() throws Exception {
      try (PagedMemory source = Guests.random(2048, 61)) {
        Transfers.Outcome outcome =
            Transfers.migrate(
                source,
                Transports.byId("tcp"),
                TransferOptions.defaults().withCompression(MigrationCompression.ZSTD));
        Transfers.assertIdentical(outcome, source).close();
      }
    }

    @Test
    @DisplayName("the backend compresses when experimental.compression says zstd")
    void fromTheConfiguration() throws Exception {
      MigrationConfiguration config =
          Sessions.plain(0)
              .experimental(
                  ExperimentalMigrationOptions.builder()
                      .compression(MigrationCompression.ZSTD)
                      .build())
              .build();
      try (DataPlaneBackend backend = DataPlaneBackend.builder().port(0).build();
          PagedMemory source = repetitive(1024)) {
        MigrationSession session = Sessions.start(backend, "zstd", source, config);
        ProgressSample last = Sessions.end(session);
        session.close();
        assertThat(last.status())
            .as("failure: %s", last.failureReason())
            .isEqualTo(ProgressSample.Status.COMPLETED);
        PagedMemory target = (PagedMemory) backend.memory("default", "zstd").orElseThrow();
        assertThat(target.mismatch(source)).isEqualTo(-1);
        target.close();
      }
    }
  }

  @Test
  @DisplayName("an agent that speaks only version 2 refuses, and the source says what to do")
  void oldAgent() throws Exception {
    try (ServerSocket old = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        PagedMemory source = Guests.random(16, 62)) {
      Thread agent =
          new Thread(
              () -> {
                try (Socket peer = old.accept()) {
                  peer.setSoTimeout(10_000);
                  DataInputStream in = new DataInputStream(peer.getInputStream());
                  in.readInt();
                  short version = in.readShort();
                  ByteBuffer reply =
                      Protocol.encodeReply(
                          false,
                          "unsupported protocol version " + version + "; this agent speaks 2");
                  peer.getOutputStream().write(reply.array(), 0, reply.limit());
                  peer.getOutputStream().flush();
                  in.read(new byte[256]);
                } catch (Exception e) {
                  // the source went away
                }
              });
      agent.start();
      TransferFailedException refused =
          org.junit.jupiter.api.Assertions.assertThrows(
              TransferFailedException.class,
              () ->
                  OutgoingMigration.start(
                      source,
                      new TcpTransport(),
                      new InetSocketAddress("127.0.0.1", old.getLocalPort()),
                      "uid",
                      "token",
                      TransferOptions.defaults().withCompression(MigrationCompression.ZSTD)));
      agent.join(10_000);
      assertThat(refused.getMessage())
          .contains("unsupported protocol version 3")
          .contains("upgrade the target or turn compression off");
    }
  }

  @Nested
  @DisplayName("a hostile source's compressed block is refused before it can inflate")
  class Hostile {
    private static final int PAGES = 16;
    private static final int LIMIT = Protocol.blockLimit(4096);

    private static ByteBuffer block(int declared, byte[] zstd) {
      ByteBuffer frame = ByteBuffer.allocate(ZstdFrames.HEADER + zstd.length + 4);
      frame.put(Protocol.ZBLOCK).putInt(declared).putInt(zstd.length).put(zstd);
      CRC32C crc = new CRC32C();
      crc.update(frame.array(), 0, frame.position());
      frame.putInt((int) crc.getValue());
      return frame.flip();
    }

    private static byte[] zeros(int bytes, boolean declareSize) {
      try (ZstdCompressCtx ctx = new ZstdCompressCtx().setLevel(3).setContentSize(declareSize)) {
        return ctx.compress(new byte[bytes]);
      }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"header-says-100MiB", "zstd-frame-says-64MiB", "undeclared-64MiB"})
    @DisplayName("a block that decompresses beyond the limit")
    void bomb(String kind) throws Exception {
      byte[] sixtyFour = zeros(64 << 20, !kind.equals("undeclared-64MiB"));
      ByteBuffer frame =
          switch (kind) {
            case "header-says-100MiB" -> block(100 << 20, zeros(1000, true));
            case "zstd-frame-says-64MiB" -> block(1000, sixtyFour);
            default -> block(1000, sixtyFour);
          };
      assertThat(sixtyFour.length).as("a bomb: tiny on the wire").isLessThan(64 << 10);
      if (kind.equals("undeclared-64MiB")) {
        assertThat(Zstd.getFrameContentSize(sixtyFour)).isNegative();
      }
      String uid = UUID.randomUUID().toString();
      try (TargetAgent agent =
          TargetAgent.start(new TcpTransport(), Transfers.LOOPBACK, Duration.ofSeconds(30))) {
        IncomingMigration incoming =
            agent.expect(uid, 4096, PAGES, () -> PagedMemory.allocate(4096, PAGES));
        try (Socket socket = new Socket("127.0.0.1", agent.address().getPort())) {
          socket.setSoTimeout(20_000);
          OutputStream out = socket.getOutputStream();
          ByteBuffer hello =
              Protocol.encodeHello(
                  new Protocol.Hello(
                      Protocol.VERSION_COMPRESSED,
                      0,
                      1,
                      4096,
                      PAGES,
                      uid,
                      incoming.token(),
                      Protocol.COMPRESSION_ZSTD));
          out.write(hello.array(), 0, hello.limit());
          DataInputStream in = new DataInputStream(socket.getInputStream());
          assertThat(in.readInt()).isEqualTo(Protocol.MAGIC);
          assertThat(in.readShort()).isEqualTo(Protocol.VERSION_COMPRESSED);
          assertThat(in.readByte()).isEqualTo(Protocol.STATUS_ACCEPTED);
          in.readFully(new byte[in.readUnsignedShort()]);
          assertThat(incoming.compressed()).as("learnt in the handshake").isTrue();

          out.write(frame.array(), 0, frame.limit());
          out.flush();

          String why;
          try {
            incoming.completion().get(15, TimeUnit.SECONDS);
            why = "completed";
          } catch (ExecutionException e) {
            why = e.getCause().getMessage();
          }
          assertThat(why)
              .as("refused well before the 30 s I/O timeout, saying why")
              .contains("corrupt compressed frame")
              .contains("more than the " + LIMIT + " bytes a block may hold");
          assertThat(agent.activeMigrations()).isZero();
        }
      }
    }
  }
}
