package dev.livemigration.core.dataplane.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.spi.MigrationTransport;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The TLS channel (SSLEngine, many records per socket write)")
class TlsChannelTest {
  private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
  private static EphemeralPki pki;
  private static TlsTransport tls;
  // Its own threads: the common pool may have one, and the two directions must run at once.
  private static final ExecutorService POOL = Executors.newCachedThreadPool();

  @BeforeAll
  static void makePki() throws Exception {
    pki = EphemeralPki.create();
    tls = pki.transport();
  }

  @AfterAll
  static void dropPki() {
    POOL.shutdownNow();
    pki.close();
  }

  @Test
  @DisplayName("moves bytes intact both ways at once, in writes and reads of any size")
  void bothWays() throws Exception {
    try (MigrationTransport.Listener listener = tls.listen(LOOPBACK)) {
      CompletableFuture<ByteChannel> accepted =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  // The accepting side shakes hands on its first read or write: start it here.
                  ByteChannel channel = listener.accept();
                  ((TlsChannel) channel).handshake();
                  return channel;
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              POOL);
      try (ByteChannel client = tls.connect(listener.address(), Duration.ofSeconds(30));
          ByteChannel server = accepted.get(30, TimeUnit.SECONDS)) {
        long up = 9_000_001;
        long down = 3_000_017;
        CompletableFuture<Long> serverWrote =
            CompletableFuture.supplyAsync(() -> send(server, down, 2), POOL);
        CompletableFuture<Long> serverRead =
            CompletableFuture.supplyAsync(() -> receive(server, up, 3), POOL);
        long clientWrote = send(client, up, 4);
        long clientRead = receive(client, down, 5);
        assertThat(serverRead.get(60, TimeUnit.SECONDS)).isEqualTo(clientWrote);
        assertThat(clientRead).isEqualTo(serverWrote.get(60, TimeUnit.SECONDS));
      }
    }
  }

  @Test
  @DisplayName("closing sends close_notify: the peer reads the end of the stream")
  void endOfStream() throws Exception {
    try (MigrationTransport.Listener listener = tls.listen(LOOPBACK)) {
      CompletableFuture<ByteChannel> accepted =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  // The accepting side shakes hands on its first read or write: start it here.
                  ByteChannel channel = listener.accept();
                  ((TlsChannel) channel).handshake();
                  return channel;
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              POOL);
      ByteChannel client = tls.connect(listener.address(), Duration.ofSeconds(30));
      try (ByteChannel server = accepted.get(30, TimeUnit.SECONDS)) {
        client.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        client.close();
        ByteBuffer got = ByteBuffer.allocate(16);
        int n;
        while ((n = server.read(got)) >= 0) {
          assertThat(n).isPositive();
        }
        assertThat(got.flip().remaining()).isEqualTo(3);
        assertThat(server.read(ByteBuffer.allocate(0))).isZero();
      }
    }
  }

  /** Writes {@code bytes} of seeded noise in pieces of varied sizes; returns their CRC. */
  private static long send(ByteChannel channel, long bytes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    CRC32 crc = new CRC32();
    try {
      long left = bytes;
      while (left > 0) {
        int n = (int) Math.min(left, 1 + random.nextInt(3 << 20));
        byte[] piece = new byte[n];
        random.nextBytes(piece);
        crc.update(piece);
        ByteBuffer buffer =
            random.nextBoolean()
                ? ByteBuffer.wrap(piece)
                : ByteBuffer.allocateDirect(n).put(piece).flip();
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        left -= n;
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return crc.getValue();
  }

  /** Reads {@code bytes} into buffers of varied sizes (1 byte to 1 MiB); returns their CRC. */
  private static long receive(ByteChannel channel, long bytes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    CRC32 crc = new CRC32();
    try {
      long left = bytes;
      while (left > 0) {
        int size = random.nextBoolean() ? 1 + random.nextInt(100) : 1 + random.nextInt(1 << 20);
        size = (int) Math.min(left, size);
        ByteBuffer buffer =
            random.nextBoolean() ? ByteBuffer.allocate(size) : ByteBuffer.allocateDirect(size);
        int n = channel.read(buffer);
        assertThat(n).isPositive();
        crc.update(buffer.flip());
        left -= n;
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return crc.getValue();
  }
}
