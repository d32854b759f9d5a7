package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigrationTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fault-injection hook for tests and demos: a transport that connects through another one and can
 * break the connections it made, as a switch that reboots or a NIC that flaps would. Give it to the
 * source side (for example {@code DataPlaneBackend.builder().transport(breaker)}, which the target
 * agents then listen with, untouched) and call {@link #breakLinks()}: every connection it opened
 * and that is still open is closed at once; later connections work. Not meant for production.
 *
 * <p>Thread-safe.
 */
public final class LinkBreaker implements MigrationTransport {
  private final MigrationTransport delegate;
  private final List<Tracked> open = new CopyOnWriteArrayList<>();

  /** Wraps {@code delegate}, whose id it keeps. */
  public LinkBreaker(MigrationTransport delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public String id() {
    return delegate.id();
  }

  @Override
  public ByteChannel connect(InetSocketAddress address, Duration timeout) throws IOException {
    Tracked channel = new Tracked(delegate.connect(address, timeout));
    open.add(channel);
    return channel;
  }

  @Override
  public Listener listen(InetSocketAddress address) throws IOException {
    return delegate.listen(address);
  }

  /** Closes every connection this transport opened that is still open; returns how many. */
  public int breakLinks() {
    int broken = 0;
    for (Tracked channel : open) {
      if (channel.isOpen()) {
        broken++;
      }
      closeQuietly(channel);
    }
    return broken;
  }

  /**
   * Closes the {@code index}-th of the connections still open (in the order they were opened);
   * returns whether there was one.
   */
  public boolean breakLink(int index) {
    List<Tracked> live = open.stream().filter(Tracked::isOpen).toList();
    if (index < 0 || index >= live.size()) {
      return false;
    }
    closeQuietly(live.get(index));
    return true;
  }

  /** How many connections this transport opened are open now. */
  public int openLinks() {
    return (int) open.stream().filter(Tracked::isOpen).count();
  }

  private static void closeQuietly(ByteChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // Breaking is best effort.
    }
  }

  private final class Tracked implements ByteChannel {
    private final ByteChannel channel;

    Tracked(ByteChannel channel) {
      this.channel = channel;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return channel.read(dst);
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
      open.remove(this);
      channel.close();
    }
  }
}
