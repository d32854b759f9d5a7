package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigrationTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Wraps a transport and counts the connections its listeners accepted that are still open. */
final class CountingTransport implements MigrationTransport {
  private final MigrationTransport delegate;
  private final AtomicInteger open = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong received =
      new java.util.concurrent.atomic.AtomicLong();

  CountingTransport(MigrationTransport delegate) {
    this.delegate = delegate;
  }

  /** The bytes read from accepted connections: what the sources sent, as on the wire. */
  long received() {
    return received.get();
  }

  int openAccepted() {
    return open.get();
  }

  /** Waits (bounded) until no accepted connection is open; returns how many still are. */
  int awaitNoneOpen(Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (open.get() > 0 && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(20);
    }
    return open.get();
  }

  @Override
  public String id() {
    return delegate.id();
  }

  @Override
  public ByteChannel connect(InetSocketAddress address, Duration timeout) throws IOException {
    return delegate.connect(address, timeout);
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
        open.incrementAndGet();
        AtomicBoolean counted = new AtomicBoolean(true);
        return new ByteChannel() {
          @Override
          public int read(ByteBuffer dst) throws IOException {
            int n = channel.read(dst);
            if (n > 0) {
              received.addAndGet(n);
            }
            return n;
          }

          @Override
          public int write(ByteBuffer src) throws IOException {
            return channel.write(src);
          }

          @Override
          public boolean isOpen() {
            return channel.isOpen();
          }

          @Override
          public void close() throws IOException {
            if (counted.getAndSet(false)) {
              open.decrementAndGet();
            }
            channel.close();
          }
        };
      }

      @Override
      public void close() throws IOException {
        listener.close();
      }
    };
  }
}
