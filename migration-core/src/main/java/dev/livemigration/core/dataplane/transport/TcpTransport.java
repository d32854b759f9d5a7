package dev.livemigration.core.dataplane.transport;

import dev.livemigration.api.spi.MigrationTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/** The plain-text transport {@code tcp}: one TCP connection per channel, without encryption. */
public final class TcpTransport implements MigrationTransport {
  /** The transport's id: {@code tcp}. */
  public static final String ID = "tcp";

  /** Creates the transport. */
  public TcpTransport() {}

  @Override
  public String id() {
    return ID;
  }

  @Override
  public ByteChannel connect(InetSocketAddress address, Duration timeout) throws IOException {
    SocketChannel channel = SocketChannel.open();
    try {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      channel.socket().connect(address, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  @Override
  public Listener listen(InetSocketAddress address) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    try {
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(address, 64);
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
    return new Listener() {
      @Override
      public InetSocketAddress address() {
        return bound;
      }

      @Override
      public ByteChannel accept() throws IOException {
        SocketChannel channel = server.accept();
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return channel;
      }

      @Override
      public void close() throws IOException {
        server.close();
      }
    };
  }
}
