package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigrationTransport;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A source-side transport for link-recovery tests: breaks links on command ({@link LinkBreaker}),
 * refuses new connections while held (so that a pause lasts until the test saw it), and cuts chosen
 * connections (by the order they were opened, from 0) right after their first write — the handshake
 * — so that a break hits a reconnect handshake.
 */
final class Breaks implements MigrationTransport {
  final LinkBreaker breaker;
  private final AtomicInteger connects = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();
  private final Set<Integer> cutAfterHandshake = ConcurrentHashMap.newKeySet();
  private volatile boolean held;

  Breaks(MigrationTransport delegate) {
    this.breaker = new LinkBreaker(delegate);
  }

  /** Refuses every connection from now on, until {@link #release()}. */
  void hold() {
    held = true;
  }

  void release() {
    held = false;
  }

  /** The connections refused while held. */
  int refused() {
    return refused.get();
  }

  /** How many connections were opened (not refused) so far. */
  int connects() {
    return connects.get();
  }

  /** Cuts the connection opened {@code ordinal}-th (from 0) right after its first write. */
  void cutAfterHandshake(int ordinal) {
    cutAfterHandshake.add(ordinal);
  }

  /** Breaks every open link; returns how many. */
  int breakLinks() {
    return breaker.breakLinks();
  }

  @Override
  public String id() {
    return breaker.id();
  }

  @Override
  public ByteChannel connect(InetSocketAddress address, Duration timeout) throws IOException {
    if (held) {
      refused.incrementAndGet();
      throw new ConnectException("refused by the test (held)");
    }
    int ordinal = connects.getAndIncrement();
    ByteChannel channel = breaker.connect(address, timeout);
    if (!cutAfterHandshake.contains(ordinal)) {
      return channel;
    }
    return new ByteChannel() {
      private boolean written;

      @Override
      public int read(ByteBuffer dst) throws IOException {
        if (written) {
          channel.close();
        }
        return channel.read(dst);
      }

      @Override
      public int write(ByteBuffer src) throws IOException {
        int n = channel.write(src);
        written = true;
        return n;
      }

      @Override
      public boolean isOpen() {
        return channel.isOpen();
      }

      @Override
      public void close() throws IOException {
        channel.close();
      }
    };
  }

  @Override
  public Listener listen(InetSocketAddress address) throws IOException {
    return breaker.listen(address);
  }
}
