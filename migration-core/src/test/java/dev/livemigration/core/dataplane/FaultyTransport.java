package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigrationTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a transport and injects one fault into the first connection of one side once a number of
 * bytes went through it: a reset, a stall, or a flipped bit. Counts open connections, so tests can
 * check that none leaks.
 */
final class FaultyTransport implements MigrationTransport {
  enum Kind {
    /** Closes the connection abortively (an RST on TCP). */
    RESET,
    /** Stops moving bytes; blocked calls wake only when the connection is closed. */
    STALL,
    /** Flips one bit of the byte at the offset. */
    CORRUPT
  }

  enum Side {
    /** What the source writes. */
    SOURCE_WRITES,
    /** What the target reads. */
    TARGET_READS
  }

  private final MigrationTransport delegate;
  private final Kind kind;
  private final Side side;
  private final long offset;
  private final AtomicBoolean armed = new AtomicBoolean(true);
  private final AtomicInteger open = new AtomicInteger();
  final AtomicBoolean fired = new AtomicBoolean();

  FaultyTransport(MigrationTransport delegate, Kind kind, Side side, long offset) {
    this.delegate = delegate;
    this.kind = kind;
    this.side = side;
    this.offset = offset;
  }

  int openConnections() {
    return open.get();
  }

  @Override
  public String id() {
    return delegate.id();
  }

  @Override
  public ByteChannel connect(InetSocketAddress address, Duration timeout) throws IOException {
    ByteChannel channel = delegate.connect(address, timeout);
    return wrap(channel, side == Side.SOURCE_WRITES && armed.getAndSet(false), true);
  }

  @Override
  public Listener listen(InetSocketAddress address) throws IOException {
    Listener listener = delegate.listen(address);
    return new Listener() {
      @Override
      public InetSocketAddress address() {
        return listener.address();
      }

      @Override
      public ByteChannel accept() throws IOException {
        ByteChannel channel = listener.accept();
        return wrap(channel, side == Side.TARGET_READS && armed.getAndSet(false), false);
      }

      @Override
      public void close() throws IOException {
        listener.close();
      }
    };
  }

  private ByteChannel wrap(ByteChannel channel, boolean faulty, boolean onWrite) {
    open.incrementAndGet();
    return new Faulty(channel, faulty, onWrite);
  }

  private final class Faulty implements ByteChannel {
    private final ByteChannel channel;
    private final boolean faulty;
    private final boolean onWrite;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicBoolean counted = new AtomicBoolean(true);
    private long bytes;
    private boolean stalled;

    Faulty(ByteChannel channel, boolean faulty, boolean onWrite) {
      this.channel = channel;
      this.faulty = faulty;
      this.onWrite = onWrite;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (!faulty || onWrite) {
        return channel.read(dst);
      }
      if (stalled || (kind == Kind.STALL && bytes >= offset)) {
        stall();
      }
      if (kind == Kind.RESET && bytes >= offset) {
        reset();
      }
      int room = (int) Math.min(dst.remaining(), Math.max(1, offset - bytes));
      if (bytes >= offset) {
        room = dst.remaining();
      }
      ByteBuffer limited = dst.slice(dst.position(), room);
      int n = channel.read(limited);
      if (n > 0) {
        if (kind == Kind.CORRUPT && bytes <= offset && offset < bytes + n) {
          int at = dst.position() + (int) (offset - bytes);
          dst.put(at, (byte) (dst.get(at) ^ 0x10));
          fired.set(true);
        }
        dst.position(dst.position() + n);
        bytes += n;
      }
      return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      if (!faulty || !onWrite) {
        return channel.write(src);
      }
      if (stalled || (kind == Kind.STALL && bytes >= offset)) {
        stall();
      }
      if (kind == Kind.RESET && bytes >= offset) {
        reset();
      }
      int room =
          bytes >= offset ? src.remaining() : (int) Math.min(src.remaining(), offset - bytes);
      ByteBuffer part = src.slice(src.position(), room);
      if (kind == Kind.CORRUPT && bytes <= offset && offset < bytes + room) {
        ByteBuffer copy = ByteBuffer.allocate(room);
        copy.put(part.duplicate()).flip();
        int at = (int) (offset - bytes);
        copy.put(at, (byte) (copy.get(at) ^ 0x10));
        fired.set(true);
        part = copy;
      }
      int n = 0;
      while (part.hasRemaining()) {
        n += channel.write(part);
      }
      src.position(src.position() + n);
      bytes += n;
      return n;
    }

    private void stall() throws IOException {
      stalled = true;
      fired.set(true);
      try {
        closed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new AsynchronousCloseException();
    }

    private void reset() throws IOException {
      fired.set(true);
      if (channel instanceof SocketChannel socket) {
        socket.setOption(StandardSocketOptions.SO_LINGER, 0);
      }
      close();
      throw new java.net.SocketException("Connection reset (injected)");
    }

    @Override
    public boolean isOpen() {
      return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
      closed.countDown();
      if (counted.getAndSet(false)) {
        open.decrementAndGet();
      }
      channel.close();
    }
  }
}
