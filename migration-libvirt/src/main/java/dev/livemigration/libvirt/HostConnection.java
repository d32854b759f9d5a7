package dev.livemigration.libvirt;

import com.sun.jna.Pointer;
import dev.livemigration.api.spi.BackendException;
import org.jspecify.annotations.Nullable;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend's one connection to one host's libvirt daemon: opened on first use, opened again when
 * libvirt reports it dead, closed by {@link #close()}. libvirt connections are thread-safe, so a
 * migration blocking on one thread and job queries on another share it.
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
      boolean alive;
      try {
        alive = handle.isAlive();
      } catch (LibvirtException e) {
        alive = false;
      }
      if (alive) {
        return handle;
      }
      LOG.warn("The connection to {} ({}) was lost; reconnecting", node, uri);
      closeQuietly(handle);
      handle = null;
    }
    try {
      NativeLibvirt.routeErrorsToLog();
    } catch (BackendException e) {
      LOG.debug("libvirt's errors go to standard error: {}", e.getMessage());
    }
    try {
      handle = new Handle(uri);
    } catch (LibvirtException e) {
      throw LibvirtBackendException.of("connecting to node " + node + " at " + uri, e);
    }
    LOG.info("Connected to libvirt on {} at {}", node, uri);
    return handle;
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

  private void closeQuietly(Connect connection) {
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
