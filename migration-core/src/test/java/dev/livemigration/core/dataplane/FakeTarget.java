package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * A target agent that is not one: it speaks the wire protocol on loopback as a script says, to show
 * how a source treats a target that lies, vanishes or answers out of turn. Accepts every handshake;
 * outcome queries get the verdict the script gives (null: the connection is closed unanswered).
 */
final class FakeTarget implements AutoCloseable {
  /** What the fake does with one accepted channel. */
  interface Script {
    void run(Peer peer) throws IOException;

    /** The answer to an outcome query, or null to close it unanswered. */
    default @Nullable Verdict query(String uid) {
      return null;
    }
  }

  /** One channel, after its handshake. */
  record Peer(Protocol.Hello hello, Connection connection, FrameReader reader, FrameWriter writer) {
    /** Reads frames until one of {@code type}, skipping the others; returns the reader at it. */
    FrameReader until(byte type) throws IOException {
      while (true) {
        byte next = reader.next();
        if (next == type) {
          return reader;
        }
        skip(next);
      }
    }

    /** Skips the rest of the current frame of {@code type}. */
    void skip(byte type) throws IOException {
      switch (type) {
        case Protocol.PAGE -> {
          reader.require(Protocol.PAGE_HEADER);
          if (reader.getByte(5) == Protocol.KIND_RAW) {
            reader.sealPage(hello.pageSize());
          } else {
            reader.seal(Protocol.PAGE_HEADER);
          }
        }
        case Protocol.ITERATION, Protocol.SYNC -> reader.seal(1 + 8);
        case Protocol.POSTCOPY -> {
          reader.require(1 + 8 + 4);
          reader.blob(1 + 8 + 4, reader.getInt(9));
        }
        case Protocol.DIGEST -> reader.seal(1 + 8 + Protocol.DIGEST_BYTES);
        case Protocol.GO, Protocol.END -> reader.seal(1);
        case Protocol.ABORT -> reader.text();
        default -> throw new ProtocolException("the fake cannot skip " + type);
      }
    }

    /** Reads the DIGEST frame's sequence and digest, skipping what comes before it. */
    Digest digest() throws IOException {
      until(Protocol.DIGEST);
      reader.require(1 + 8 + Protocol.DIGEST_BYTES);
      long sync = reader.getLong(1);
      byte[] digest = new byte[Protocol.DIGEST_BYTES];
      reader.slice(1 + 8, Protocol.DIGEST_BYTES).get(digest);
      reader.seal(1 + 8 + Protocol.DIGEST_BYTES);
      return new Digest(sync, digest);
    }

    void send(byte type) throws IOException {
      writer.control(type);
      writer.flush();
    }
  }

  record Digest(long sync, byte[] digest) {}

  private final MigrationTransport.Listener listener;
  private final Script script;
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private final AtomicInteger queries = new AtomicInteger();
  private final Thread acceptor;

  FakeTarget(Script script) throws IOException {
    this.script = script;
    this.listener = new TcpTransport().listen(new InetSocketAddress("127.0.0.1", 0));
    this.acceptor = new Thread(this::acceptLoop, "fake-target-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  InetSocketAddress address() {
    return listener.address();
  }

  int queries() {
    return queries.get();
  }

  private void acceptLoop() {
    while (true) {
      ByteChannel channel;
      try {
        channel = listener.accept();
      } catch (IOException e) {
        return;
      }
      Thread thread = new Thread(() -> serve(channel), "fake-target-conn");
      thread.setDaemon(true);
      thread.start();
    }
  }

  private void serve(ByteChannel channel) {
    Connection connection = new Connection(channel, "fake target connection");
    connections.add(connection);
    try {
      AgentHandshake.Request request = AgentHandshake.read(connection);
      if (request instanceof AgentHandshake.Query query) {
        queries.incrementAndGet();
        Verdict verdict = script.query(query.uid());
        if (verdict != null) {
          connection.write(Protocol.encodeAnswer(verdict));
        }
        return;
      }
      Protocol.Hello hello = ((AgentHandshake.Hello) request).hello();
      connection.write(Protocol.encodeReply(true, "accepted"));
      FrameWriter writer =
          new FrameWriter(connection, 512, new TokenBucket(0), () -> false, new LongAdder());
      script.run(
          new Peer(
              hello, connection, new FrameReader(connection, hello.pageSize(), false), writer));
    } catch (IOException | RuntimeException e) {
      failures.add(e);
    } finally {
      connection.close();
    }
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException e) {
      // Best effort.
    }
    connections.forEach(Connection::close);
    try {
      acceptor.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
