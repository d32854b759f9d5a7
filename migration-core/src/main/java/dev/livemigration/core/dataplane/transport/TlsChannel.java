package dev.livemigration.core.dataplane.transport;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * A blocking byte channel of TLS over a TCP socket, through an {@link SSLEngine} rather than an
 * {@code SSLSocket}: many records are sealed into one buffer and sent with one write, and one read
 * takes as many records as the socket has, where an {@code SSLSocket} makes one or two system calls
 * and several copies per record of at most 16 KiB. Reads and writes may run at once on two threads
 * (the engine is thread-safe); the handshake runs on the first read or write, or eagerly through
 * {@link #handshake()}.
 *
 * <p>Closing never waits on the peer for long: while a write is blocked (a stalled peer), the TCP
 * socket is closed at once, which fails the blocked write; otherwise close_notify is sent first. On
 * the accepting side after a failed handshake, the TCP socket ends its output, then reads what the
 * peer still sends until it closes (at most {@value #LINGER_MILLIS} ms), so that the peer gets the
 * alert that says why it was refused rather than a reset.
 */
final class TlsChannel implements ByteChannel {
  /** How long a refused peer has to close its side before the connection is dropped. */
  private static final int LINGER_MILLIS = 1000;

  /** Bytes of records sealed before one write to the socket, and read at most in one go. */
  private static final int NET_BUFFER = 256 << 10;

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final Socket socket;
  private final SSLEngine engine;
  private final boolean accepting;
  private final InputStream in;
  private final OutputStream out;
  private final ReentrantLock readLock = new ReentrantLock();
  private final ReentrantLock writeLock = new ReentrantLock();
  private final Object state = new Object();

  // Guarded by readLock: records received, not yet opened (the array's position to limit).
  private final ByteBuffer netIn;
  // Guarded by readLock: plaintext opened, not yet read (position to limit).
  private ByteBuffer appIn;
  // Guarded by writeLock: sealed records, not yet sent.
  private final ByteBuffer netOut;

  private volatile boolean handshaken;
  private volatile boolean refused;
  private volatile boolean inboundDone;
  // Guarded by state.
  private boolean open = true;
  private int writing;

  /**
   * @param socket the connected TCP socket
   * @param engine the engine, in client or server mode, with its protocols set
   * @param accepting whether this is the accepting side (where a refused peer is lingered for)
   */
  TlsChannel(Socket socket, SSLEngine engine, boolean accepting) throws IOException {
    this.socket = socket;
    this.engine = engine;
    this.accepting = accepting;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    int packet = engine.getSession().getPacketBufferSize();
    this.netIn = ByteBuffer.allocate(Math.max(NET_BUFFER, 2 * packet)).flip();
    this.netOut = ByteBuffer.allocate(Math.max(NET_BUFFER, 2 * packet));
    this.appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize()).flip();
  }

  /** The TCP socket under the channel. */
  Socket socket() {
    return socket;
  }

  /** Runs the handshake unless it has run. */
  void handshake() throws IOException {
    if (handshaken) {
      return;
    }
    readLock.lock();
    try {
      writeLock.lock();
      try {
        if (handshaken) {
          return;
        }
        try {
          engine.beginHandshake();
          shake();
        } catch (SSLException e) {
          refused = true;
          sendPending();
          throw e;
        }
        handshaken = true;
      } finally {
        writeLock.unlock();
      }
    } finally {
      readLock.unlock();
    }
  }

  /** Drives the handshake to its end; both locks held. */
  private void shake() throws IOException {
    while (true) {
      switch (engine.getHandshakeStatus()) {
        case NEED_WRAP -> {
          netOut.clear();
          SSLEngineResult result = engine.wrap(EMPTY, netOut);
          flushNetOut();
          if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw new SSLException("the TLS engine closed during the handshake");
          }
        }
        case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
          SSLEngineResult result = engine.unwrap(netIn, appIn.compact());
          appIn.flip();
          if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
            if (fill() < 0) {
              throw new EOFException("the peer closed the connection during the TLS handshake");
            }
          } else if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw new EOFException("the peer closed TLS during the handshake");
          } else if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
            growAppIn();
          }
        }
        case NEED_TASK -> runTasks();
        case FINISHED, NOT_HANDSHAKING -> {
          return;
        }
      }
    }
  }

  private void runTasks() {
    Runnable task;
    while ((task = engine.getDelegatedTask()) != null) {
      task.run();
    }
  }

  private void growAppIn() {
    int size = Math.max(2 * appIn.capacity(), engine.getSession().getApplicationBufferSize());
    appIn = ByteBuffer.allocate(size).put(appIn).flip();
  }

  /** Reads what the socket has into {@link #netIn}; readLock held. Returns -1 at its end. */
  private int fill() throws IOException {
    netIn.compact();
    try {
      if (!netIn.hasRemaining()) {
        throw new SSLException("a TLS record does not fit " + netIn.capacity() + " bytes");
      }
      int n = in.read(netIn.array(), netIn.arrayOffset() + netIn.position(), netIn.remaining());
      if (n > 0) {
        netIn.position(netIn.position() + n);
      }
      return n;
    } finally {
      netIn.flip();
    }
  }

  /** Sends the sealed records in {@link #netOut}; writeLock held. Leaves it cleared. */
  private void flushNetOut() throws IOException {
    netOut.flip();
    if (netOut.hasRemaining()) {
      out.write(netOut.array(), netOut.arrayOffset() + netOut.position(), netOut.remaining());
      out.flush();
    }
    netOut.clear();
  }

  /**
   * After a failure: sends what the engine still has to say (a fatal alert), without ever waiting
   * long for it. Best effort.
   */
  private void sendPending() {
    if (!writeLock.tryLock()) {
      return;
    }
    try {
      for (int i = 0; i < 4; i++) {
        netOut.clear();
        SSLEngineResult result = engine.wrap(EMPTY, netOut);
        if (result.bytesProduced() == 0) {
          break;
        }
        flushNetOut();
      }
    } catch (IOException | RuntimeException e) {
      // The peer is gone: nothing more to say.
    } finally {
      netOut.clear();
      writeLock.unlock();
    }
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (!isOpen()) {
      throw new ClosedChannelException();
    }
    handshake();
    readLock.lock();
    try {
      return readLocked(dst);
    } catch (SSLException e) {
      refused = true;
      sendPending();
      throw e;
    } finally {
      readLock.unlock();
    }
  }

  private int readLocked(ByteBuffer dst) throws IOException {
    if (!dst.hasRemaining()) {
      return 0;
    }
    if (appIn.hasRemaining()) {
      return drainAppIn(dst);
    }
    if (inboundDone) {
      return -1;
    }
    int appSize = engine.getSession().getApplicationBufferSize();
    int read = 0;
    while (true) {
      if (netIn.hasRemaining()) {
        // Open records straight into dst while it has room for a whole one.
        boolean direct = dst.remaining() >= appSize;
        ByteBuffer into = direct ? dst : appIn.compact();
        SSLEngineResult result;
        try {
          result = engine.unwrap(netIn, into);
        } finally {
          if (!direct) {
            appIn.flip();
          }
        }
        switch (result.getStatus()) {
          case OK -> {
            if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
              runTasks();
            }
            if (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
              answer();
            }
            if (direct) {
              read += result.bytesProduced();
              if (netIn.hasRemaining() && dst.remaining() >= appSize) {
                continue;
              }
            } else if (appIn.hasRemaining()) {
              return read + drainAppIn(dst);
            }
            if (read > 0) {
              return read;
            }
            continue;
          }
          case BUFFER_OVERFLOW -> {
            if (direct) {
              appSize = Math.max(appSize, dst.remaining() + 1);
            } else {
              growAppIn();
            }
            continue;
          }
          case CLOSED -> {
            inboundDone = true;
            return read > 0 ? read : -1;
          }
          case BUFFER_UNDERFLOW -> {
            if (read > 0) {
              return read;
            }
            // Fall through to read more from the socket.
          }
        }
      }
      if (fill() < 0) {
        inboundDone = true;
        return read > 0 ? read : -1;
      }
    }
  }

  private int drainAppIn(ByteBuffer dst) {
    int n = Math.min(dst.remaining(), appIn.remaining());
    dst.put(dst.position(), appIn, appIn.position(), n);
    dst.position(dst.position() + n);
    appIn.position(appIn.position() + n);
    return n;
  }

  /** Sends what the engine must answer after a post-handshake message (a key update). */
  private void answer() throws IOException {
    writeLock.lock();
    try {
      while (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
        netOut.clear();
        SSLEngineResult result = engine.wrap(EMPTY, netOut);
        flushNetOut();
        if (result.bytesProduced() == 0) {
          break;
        }
      }
    } finally {
      writeLock.unlock();
    }
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    synchronized (state) {
      if (!open) {
        throw new ClosedChannelException();
      }
      writing++;
    }
    try {
      handshake();
      writeLock.lock();
      try {
        int total = src.remaining();
        int packet = engine.getSession().getPacketBufferSize();
        netOut.clear();
        while (src.hasRemaining()) {
          if (netOut.remaining() < packet) {
            flushNetOut();
          }
          SSLEngineResult result = engine.wrap(src, netOut);
          if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw new SSLException("the TLS connection is closed");
          }
          if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
            if (netOut.position() == 0) {
              throw new SSLException("a TLS record does not fit " + netOut.capacity() + " bytes");
            }
            flushNetOut();
          }
          if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
            runTasks();
          }
        }
        flushNetOut();
        return total;
      } finally {
        writeLock.unlock();
      }
    } finally {
      synchronized (state) {
        writing--;
      }
    }
  }

  @Override
  public boolean isOpen() {
    synchronized (state) {
      return open;
    }
  }

  @Override
  public void close() throws IOException {
    boolean stuck;
    synchronized (state) {
      if (!open) {
        return;
      }
      open = false;
      stuck = writing > 0;
    }
    if (stuck) {
      socket.close();
      return;
    }
    try {
      if (handshaken && !refused) {
        engine.closeOutbound();
        sendPending();
      }
    } finally {
      if (accepting && refused) {
        lingerForPeer(socket);
      }
      socket.close();
    }
  }

  private static void lingerForPeer(Socket raw) {
    try {
      raw.shutdownOutput();
      raw.setSoTimeout(LINGER_MILLIS);
      long deadline = System.nanoTime() + LINGER_MILLIS * 1_000_000L;
      InputStream input = raw.getInputStream();
      byte[] sink = new byte[16 << 10];
      while (System.nanoTime() < deadline && input.read(sink) >= 0) {
        // Discard: only the peer's end of stream matters.
      }
    } catch (IOException e) {
      // The peer is gone or slow: close anyway.
    }
  }
}
