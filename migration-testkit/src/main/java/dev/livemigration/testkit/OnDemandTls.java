package dev.livemigration.testkit;

import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.core.dataplane.transport.EphemeralPki;
import dev.livemigration.core.dataplane.transport.TlsTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The {@code tls} transport of a real-bytes cluster: mutual TLS with a throwaway {@link
 * EphemeralPki}, made the first time a migration needs it (it takes a second or two), so that a
 * cluster with {@code disableTLS} never pays for it.
 */
final class OnDemandTls implements MigrationTransport, AutoCloseable {
  private @Nullable EphemeralPki pki;
  private @Nullable TlsTransport transport;
  private boolean closed;

  private synchronized TlsTransport transport() throws IOException {
    if (closed) {
      throw new IOException("the cluster's TLS keys were deleted: the cluster is closed");
    }
    if (transport == null) {
      pki = EphemeralPki.create();
      transport = pki.transport();
    }
    return transport;
  }

  @Override
  public String id() {
    return TlsTransport.ID;
  }

  @Override
  public ByteChannel connect(InetSocketAddress address, Duration timeout) throws IOException {
    return transport().connect(address, timeout);
  }

  @Override
  public Listener listen(InetSocketAddress address) throws IOException {
    return transport().listen(address);
  }

  /** Deletes the keys from disk. Idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    if (pki != null) {
      pki.close();
      pki = null;
    }
  }
}
