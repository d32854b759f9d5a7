package dev.livemigration.core.dataplane;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import org.jspecify.annotations.Nullable;

/**
 * One channel of a migration: a transport's byte channel whose blocking reads and writes report to
 * a watchdog group, and whose closing is idempotent and records why.
 */
final class Connection implements Closeable {
  private final ByteChannel channel;
  private final String name;
  private volatile Watchdog.@Nullable Group group;
  private volatile @Nullable String closedBecause;

  Connection(ByteChannel channel, String name) {
    this.channel = channel;
    this.name = name;
  }

  String name() {
    return name;
  }

  /** Reports blocking to {@code group} from now on; {@code null} stops reporting. */
  void watchedBy(Watchdog.@Nullable Group group) {
    this.group = group;
  }

  /** Reads at least one byte; throws {@link EOFException} at the end of the stream. */
  int read(ByteBuffer dst, boolean timed) throws IOException {
    Watchdog.Group watcher = timed ? group : null;
    if (watcher != null) {
      watcher.enter(false);
    }
    try {
      int n = channel.read(dst);
      if (n < 0) {
        throw new EOFException("the peer closed the connection");
      }
      return n;
    } catch (IOException e) {
      throw closedOr(e);
    } finally {
      if (watcher != null) {
        watcher.exit(false);
      }
    }
  }

  /** Writes all of {@code src}. */
  void write(ByteBuffer src) throws IOException {
    Watchdog.Group watcher = group;
    if (watcher != null) {
      watcher.enter(true);
    }
    try {
      while (src.hasRemaining()) {
        channel.write(src);
        if (watcher != null) {
          watcher.progress();
        }
      }
    } catch (IOException e) {
      throw closedOr(e);
    } finally {
      if (watcher != null) {
        watcher.exit(true);
      }
    }
  }

  /** Reads exactly {@code dst.remaining()} bytes. */
  void readFully(ByteBuffer dst, boolean timed) throws IOException {
    while (dst.hasRemaining()) {
      read(dst, timed);
    }
  }

  private IOException closedOr(IOException e) {
    String why = closedBecause;
    if (why != null) {
      IOException closed = new IOException(why, e);
      return closed;
    }
    return e;
  }

  /** Returns why the connection was closed on purpose, if it was. */
  @Nullable String closedBecause() {
    return closedBecause;
  }

  /** Closes the connection, remembering the first reason given. Idempotent. */
  void close(String because) {
    synchronized (this) {
      if (closedBecause == null) {
        closedBecause = because;
      }
    }
    close();
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // Closing is best effort.
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
