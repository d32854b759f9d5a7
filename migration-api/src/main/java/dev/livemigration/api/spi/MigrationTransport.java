package dev.livemigration.api.spi;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import java.time.Duration;

/**
 * How the built-in data plane reaches a target: plain {@code tcp}, mutually authenticated {@code
 * tls}, or in-process {@code mem}. Providers are discovered with {@link java.util.ServiceLoader};
 * each connection is a blocking, bidirectional byte channel whose {@code close()} unblocks a thread
 * that reads or writes it.
 */
public interface MigrationTransport {

  /** A short, stable name: {@code tcp}, {@code tls}, {@code mem}. */
  String id();

  /**
   * Connects to a listening target.
   *
   * @throws IOException if the connection or its security handshake fails; the message says why
   */
  ByteChannel connect(InetSocketAddress address, Duration timeout) throws IOException;

  /**
   * Starts listening on {@code address}; port {@code 0} picks a free port.
   *
   * @throws IOException if the address cannot be bound
   */
  Listener listen(InetSocketAddress address) throws IOException;

  /** A listening endpoint of a transport. */
  interface Listener extends Closeable {

    /** The address actually bound, with the real port. */
    InetSocketAddress address();

    /**
     * Waits for the next connection.
     *
     * @throws IOException if the listener was closed or accepting failed
     */
    ByteChannel accept() throws IOException;
  }
}
