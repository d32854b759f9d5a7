package dev.livemigration.core.dataplane.transport;

import dev.livemigration.api.spi.MigrationTransport;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-process transport {@code mem}: connections are memory pipes between threads of one JVM,
 * found by the listener's address; for tests where speed matters more than sockets.
 */
public final class MemTransport implements MigrationTransport {
  /** The transport's id: {@code mem}. */
  public static final String ID = "mem";

  private static final int PIPE_BYTES = 1 << 20;
  private static final Map<InetSocketAddress, MemListener> LISTENERS = new ConcurrentHashMap<>();
  private static final AtomicInteger NEXT_PORT = new AtomicInteger(20000);

  /** Creates the transport; all instances share the JVM's listeners. */
  public MemTransport() {}

  @Override
  public String id() {
    return ID;
  }

  @Override
  public ByteChannel connect(InetSocketAddress address, Duration timeout) throws IOException {
    MemListener listener = LISTENERS.get(key(address));
    if (listener == null) {
      throw new ConnectException("Connection refused: nothing listens on mem://" + address);
    }
    Pipe toServer = new Pipe();
    Pipe toClient = new Pipe();
    MemChannel client = new MemChannel(toClient, toServer);
    listener.offer(new MemChannel(toServer, toClient));
    return client;
  }

  @Override
  public Listener listen(InetSocketAddress address) throws IOException {
    InetSocketAddress bound = address;
    if (address.getPort() == 0) {
      bound = new InetSocketAddress(address.getHostString(), NEXT_PORT.incrementAndGet());
    }
    MemListener listener = new MemListener(key(bound));
    if (LISTENERS.putIfAbsent(listener.address, listener) != null) {
      throw new java.net.BindException("Address already in use: mem://" + bound);
    }
    return listener;
  }

  private static InetSocketAddress key(InetSocketAddress address) {
    return InetSocketAddress.createUnresolved(address.getHostString(), address.getPort());
  }

  private static final class MemListener implements Listener {
    private final InetSocketAddress address;
    private final ArrayDeque<MemChannel> pending = new ArrayDeque<>();
    private boolean closed;

    MemListener(InetSocketAddress address) {
      this.address = address;
    }

    synchronized void offer(MemChannel channel) throws IOException {
      if (closed) {
        throw new ConnectException("Connection refused: mem://" + address + " was closed");
      }
      pending.add(channel);
      notifyAll();
    }

    @Override
    public InetSocketAddress address() {
      return address;
    }

    @Override
    public synchronized ByteChannel accept() throws IOException {
      while (pending.isEmpty() && !closed) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while accepting");
        }
      }
      if (closed) {
        throw new AsynchronousCloseException();
      }
      return pending.poll();
    }

    @Override
    public void close() {
      LISTENERS.remove(address, this);
      synchronized (this) {
        closed = true;
        pending.forEach(MemChannel::close);
        pending.clear();
        notifyAll();
      }
    }
  }

  /** One direction of a connection: a bounded ring of bytes. */
  private static final class Pipe {
    private final byte[] ring = new byte[PIPE_BYTES];
    private int head;
    private int size;
    private boolean writerClosed;
    private boolean readerClosed;

    synchronized int read(ByteBuffer dst) throws IOException {
      while (size == 0 && !writerClosed && !readerClosed) {
        await();
      }
      if (readerClosed) {
        throw new AsynchronousCloseException();
      }
      if (size == 0) {
        return -1;
      }
      int n = Math.min(dst.remaining(), Math.min(size, ring.length - head));
      dst.put(ring, head, n);
      head = (head + n) % ring.length;
      size -= n;
      notifyAll();
      return n;
    }

    synchronized int write(ByteBuffer src) throws IOException {
      int written = 0;
      while (src.hasRemaining()) {
        while (size == ring.length && !readerClosed && !writerClosed) {
          await();
        }
        if (writerClosed) {
          throw new AsynchronousCloseException();
        }
        if (readerClosed) {
          throw new IOException("Broken pipe: the peer closed the connection");
        }
        int tail = (head + size) % ring.length;
        int n = Math.min(src.remaining(), Math.min(ring.length - size, ring.length - tail));
        src.get(ring, tail, n);
        size += n;
        written += n;
        notifyAll();
      }
      return written;
    }

    synchronized void closeReader() {
      readerClosed = true;
      notifyAll();
    }

    synchronized void closeWriter() {
      writerClosed = true;
      notifyAll();
    }

    private void await() throws InterruptedIOException {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted on a mem connection");
      }
    }
  }

  private static final class MemChannel implements ByteChannel {
    private final Pipe in;
    private final Pipe out;
    private volatile boolean open = true;

    MemChannel(Pipe in, Pipe out) {
      this.in = in;
      this.out = out;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
      return in.read(dst);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
      return out.write(src);
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      open = false;
      in.closeReader();
      out.closeWriter();
    }
  }
}
