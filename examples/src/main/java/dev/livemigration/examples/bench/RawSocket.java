package dev.livemigration.examples.bench;

import dev.livemigration.core.dataplane.PagedMemory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.function.ObjLongConsumer;

/** The benchmarks' baselines: bytes over one plain loopback TCP socket, with no protocol at all. */
final class RawSocket {
  private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

  private RawSocket() {}

  /**
   * Like {@code iperf3 -c} with one stream: 128 KiB writes of one buffer, the receiver reading 128
   * KiB at a time, nothing read from guest memory.
   */
  static Rate iperfLike(long bytes) throws Exception {
    return blast(bytes, 128 << 10, (buffer, at) -> buffer.position(buffer.limit()).flip());
  }

  /** Sends the guest's bytes over one plain socket as fast as possible. */
  static Rate blast(PagedMemory guest) throws Exception {
    return blast(
        guest.size(),
        1 << 20,
        (buffer, at) -> {
          guest.read(at, buffer);
          buffer.flip();
        });
  }

  /**
   * Writes {@code bytes} over one plain loopback socket in buffers of {@code chunk} bytes, each
   * filled by {@code fill} for its offset (cleared before, flipped after), to a receiver that reads
   * and drops them.
   */
  static Rate blast(long bytes, int chunk, ObjLongConsumer<ByteBuffer> fill) throws Exception {
    try (ServerSocketChannel server = ServerSocketChannel.open().bind(LOOPBACK)) {
      Thread sink =
          new Thread(
              () -> {
                try (SocketChannel in = server.accept()) {
                  ByteBuffer buffer = ByteBuffer.allocateDirect(chunk);
                  while (in.read(buffer) >= 0) {
                    buffer.clear();
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      sink.start();
      long started = System.nanoTime();
      long cpu = Rate.cpuNanos();
      try (SocketChannel out = SocketChannel.open(server.getLocalAddress())) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(chunk);
        for (long at = 0; at < bytes; at += buffer.capacity()) {
          buffer.clear();
          fill.accept(buffer, at);
          while (buffer.hasRemaining()) {
            out.write(buffer);
          }
        }
      }
      sink.join();
      return Rate.of(bytes, System.nanoTime() - started, Rate.cpuNanos() - cpu);
    }
  }
}
