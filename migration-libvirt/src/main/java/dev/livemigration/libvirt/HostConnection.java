package dev.livemigration.libvirt;

import com.sun.jna.Pointer;
import dev.livemigration.api.spi.BackendException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend's one connection to one host's libvirt daemon: opened on first use, opened again when
 * libvirt reports it dead, closed by {@link #close()}. libvirt connections are thread-safe: the
 * sessions' job queries, directives and aborts and the inventory's reads share it. Only the
 * blocking migration call gets a connection of its own ({@link #openSeparate()}).
 *
 * <p>libvirt notices that a daemon went away (restarted, crashed, dropped by the network) only when
 * a call on the connection fails; {@link #call(Call)} then reconnects and repeats the call once.
 */
final class HostConnection implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HostConnection.class);

  private final String node;
  private final String uri;
  private @Nullable Handle handle;
  private boolean closed;

  HostConnection(String node, String uri) {
    this.node = node;
    this.uri = uri;
  }

  /** The node this connection reaches. */
  String node() {
    return node;
  }

  /** The libvirt URI of the node's daemon. */
  String uri() {
    return uri;
  }

  /**
   * Returns the TCP port the daemon is reached on, from the URI: its explicit port, else the
   * transport's default ({@code tls}, also meant by a remote URI without transport: 16514; {@code
   * tcp}: 16509; {@code ssh}, {@code libssh}, {@code libssh2}: 22). Empty for a local or unix
   * socket URI, and for {@code ext}.
   */
  static Optional<Integer> daemonPort(String uri) {
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
    String scheme = parsed.getScheme() == null ? "" : parsed.getScheme();
    int plus = scheme.indexOf('+');
    String transport = plus < 0 ? "" : scheme.substring(plus + 1).toLowerCase(Locale.ROOT);
    boolean remote = parsed.getHost() != null && !parsed.getHost().isBlank();
    if (transport.isEmpty() && remote) {
      transport = "tls";
    }
    Integer fallback =
        switch (transport) {
          case "tls" -> 16514;
          case "tcp" -> 16509;
          case "ssh", "libssh", "libssh2" -> 22;
          default -> null;
        };
    if (fallback == null) {
      return Optional.empty();
    }
    return Optional.of(parsed.getPort() > 0 ? parsed.getPort() : fallback);
  }

  /**
   * Returns the open connection, opening it (again) if needed.
   *
   * @throws LibvirtBackendException if libvirt cannot connect
   * @throws BackendException if the backend was closed
   */
  synchronized Connect connect() {
    if (closed) {
      throw new BackendException("the libvirt backend is closed; no connection to " + node);
    }
    if (handle != null) {
      if (alive(handle)) {
        return handle;
      }
      LOG.warn("The connection to {} ({}) was lost; reconnecting", node, uri);
      closeQuietly(handle);
      handle = null;
    }
    handle = open();
    LOG.info("Connected to libvirt on {} at {}", node, uri);
    return handle;
  }

  /**
   * Opens a connection of its own to the host, for one call that blocks for long (a migration); the
   * caller closes it. libvirt's client (9.0 at least) can miss the wake-up when another thread
   * makes a call on a connection whose event loop a blocked call is about to enter: that call then
   * waits until the blocked one returns. So no other call shares a connection with a migration.
   *
   * @throws LibvirtBackendException if libvirt cannot connect
   * @throws BackendException if the backend was closed
   */
  synchronized Connect openSeparate() {
    if (closed) {
      throw new BackendException("the libvirt backend is closed; no connection to " + node);
    }
    return open();
  }

  private Handle open() {
    try {
      NativeLibvirt.routeErrorsToLog();
    } catch (BackendException e) {
      LOG.debug("libvirt's errors go to standard error: {}", e.getMessage());
    }
    try {
      return new Handle(uri);
    } catch (LibvirtException e) {
      throw LibvirtBackendException.of("connecting to node " + node + " at " + uri, e);
    }
  }

  /**
   * Runs a call on the open connection. If it fails and the connection turns out to be dead, opens
   * a new one and runs the call again, once: only for calls that can safely be repeated.
   *
   * @throws LibvirtException if the call fails on a live connection, or again on the new one
   * @throws LibvirtBackendException if the connection cannot be opened
   */
  <T> T call(Call<T> call) throws LibvirtException {
    Connect connection = connect();
    try {
      return call.run(connection);
    } catch (LibvirtException e) {
      if (alive(connection)) {
        throw e;
      }
      LOG.debug("A call to {} failed on a dead connection: {}", node, e.getMessage());
      return call.run(connect()); // reconnects, with a warning
    }
  }

  /** A call that needs a host's connection. */
  interface Call<T> {
    /** Runs the call. */
    T run(Connect connection) throws LibvirtException;
  }

  private static boolean alive(Connect connection) {
    try {
      return connection.isAlive();
    } catch (LibvirtException e) {
      return false;
    }
  }

  /** Returns the native {@code virConnectPtr} of the open connection, for {@link NativeLibvirt}. */
  synchronized Pointer nativePointer() {
    return ((Handle) connect()).pointer();
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (handle != null) {
      closeQuietly(handle);
      handle = null;
      LOG.info("Closed the libvirt connection to {}", node);
    }
  }

  /** Closes a connection, logging a failure. */
  void closeQuietly(Connect connection) {
    try {
      connection.close();
    } catch (LibvirtException e) {
      LOG.debug("Closing the connection to {} failed", node, e);
    }
  }

  @Override
  public String toString() {
    return node + " (" + uri + ")";
  }

  /** libvirt-java's connection, with its native pointer (a protected field) made reachable. */
  private static final class Handle extends Connect {
    Handle(String uri) throws LibvirtException {
      super(uri);
    }

    Pointer pointer() {
      return vcp.getPointer();
    }
  }
}
