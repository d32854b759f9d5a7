package dev.livemigration.core.dataplane;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback between a source and a target agent that injects one fault into one
 * direction of the first connection (or of every connection) once a number of bytes went through
 * it: a reset, a stall, a corrupt byte, a truncation (a clean end of stream) or a delay per chunk.
 * Later connections (an outcome query, say) pass untouched unless {@code everyConnection}.
 */
final class FaultProxy implements AutoCloseable {
  enum Direction {
    /** What the source sends the target. */
    TO_TARGET,
    /** What the target sends the source. */
    TO_SOURCE
  }

  enum Fault {
    /** Both sides get a reset (RST). */
    RESET,
    /** This direction stops moving bytes (its sender's writes block once buffers fill). */
    STALL,
    /** Flips one bit of the byte at the offset. */
    CORRUPT,
    /** Ends both directions cleanly (FIN) at the offset. */
    TRUNCATE,
    /** Delays each chunk after the offset. */
    DELAY,
    /** No fault. */
    NONE
  }

  private static final int BUFFER = 16 << 10;

  private final ServerSocket server;
  private final InetSocketAddress upstream;
  private final Direction direction;
  private final Fault fault;
  private final long offset;
  private final Duration delay;
  private final boolean everyConnection;
  private final AtomicInteger accepted = new AtomicInteger();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final AtomicBoolean fired = new AtomicBoolean();
  private final Thread acceptor;

  private FaultProxy(
      InetSocketAddress upstream,
      Direction direction,
      Fault fault,
      long offset,
      Duration delay,
      boolean everyConnection)
      throws IOException {
    this.upstream = upstream;
    this.direction = direction;
    this.fault = fault;
    this.offset = offset;
    this.delay = delay;
    this.everyConnection = everyConnection;
    this.server = new ServerSocket();
    // Small buffers, so that a stall blocks the sender soon.
    server.setReceiveBufferSize(BUFFER);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.acceptor = new Thread(this::acceptLoop, "fault-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  static FaultProxy start(InetSocketAddress upstream, Direction direction, Fault fault, long offset)
      throws IOException {
    return new FaultProxy(upstream, direction, fault, offset, Duration.ZERO, false);
  }

  static FaultProxy delaying(InetSocketAddress upstream, Direction direction, Duration delay)
      throws IOException {
    return new FaultProxy(upstream, direction, Fault.DELAY, 0, delay, true);
  }

  /** The address to give the source instead of the agent's. */
  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
  }

  /** Whether the fault was injected. */
  boolean fired() {
    return fired.get();
  }

  /** How many connections the proxy accepted. */
  int accepted() {
    return accepted.get();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        boolean faulty = accepted.getAndIncrement() == 0 || everyConnection;
        Socket target = new Socket();
        target.setReceiveBufferSize(BUFFER);
        target.connect(upstream, 5_000);
        client.setSendBufferSize(BUFFER);
        target.setSendBufferSize(BUFFER);
        client.setTcpNoDelay(true);
        target.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(target);
        pump(client, target, faulty && direction == Direction.TO_TARGET, "to-target");
        pump(target, client, faulty && direction == Direction.TO_SOURCE, "to-source");
      } catch (IOException e) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to, boolean faulty, String name) {
    Thread thread =
        new Thread(
            () -> {
              try {
                forward(from, to, faulty ? fault : Fault.NONE);
              } catch (IOException e) {
                quietly(from);
                quietly(to);
              }
            },
            "fault-proxy-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  private void forward(Socket from, Socket to, Fault fault) throws IOException {
    InputStream in = from.getInputStream();
    OutputStream out = to.getOutputStream();
    byte[] buffer = new byte[BUFFER];
    long bytes = 0;
    boolean done = false;
    while (true) {
      int n = in.read(buffer);
      if (n < 0) {
        to.shutdownOutput();
        return;
      }
      if (fault == Fault.NONE || done || bytes + n <= offset && fault != Fault.DELAY) {
        out.write(buffer, 0, n);
        bytes += n;
        continue;
      }
      int before = (int) Math.max(0, offset - bytes);
      switch (fault) {
        case CORRUPT -> {
          buffer[before] ^= 0x10;
          fired.set(true);
          done = true;
          out.write(buffer, 0, n);
        }
        case DELAY -> {
          sleep(delay);
          fired.set(true);
          out.write(buffer, 0, n);
        }
        case RESET -> {
          out.write(buffer, 0, before);
          out.flush();
          fired.set(true);
          reset(from);
          reset(to);
          return;
        }
        case TRUNCATE -> {
          out.write(buffer, 0, before);
          fired.set(true);
          to.shutdownOutput();
          from.shutdownOutput();
          from.shutdownInput();
          return;
        }
        case STALL -> {
          out.write(buffer, 0, before);
          fired.set(true);
          try {
            closed.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return;
        }
        default -> throw new IllegalStateException(fault.name());
      }
      bytes += n;
    }
  }

  private static void sleep(Duration delay) {
    try {
      TimeUnit.NANOSECONDS.sleep(delay.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0);
    } catch (SocketException e) {
      // Closed already.
    }
    quietly(socket);
  }

  private static void quietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Best effort.
    }
  }

  @Override
  public void close() {
    closed.countDown();
    quietly(server);
    sockets.forEach(FaultProxy::quietly);
    try {
      acceptor.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void quietly(ServerSocket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Best effort.
    }
  }
}
