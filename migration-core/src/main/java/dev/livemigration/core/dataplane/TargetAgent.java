package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.api.spi.ReceivingMemory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target side of the data plane on one host: listens on one address, accepts only the
 * migrations it was told to expect (by uid and a one-time token), and receives several at once,
 * each into its own {@link ReceivingMemory}.
 *
 * <pre>{@code
 * try (TargetAgent agent = TargetAgent.start(new TcpTransport(),
 *     new InetSocketAddress("127.0.0.1", TargetAgent.DEFAULT_PORT), TransferOptions.DEFAULT_IO_TIMEOUT)) {
 *   IncomingMigration incoming = agent.expect(uid, 4096, pages, () -> PagedMemory.allocate(4096, pages));
 *   // hand incoming.token() and agent.address() to the source
 *   ReceivingMemory memory = incoming.completion().join();
 * }
 * }</pre>
 */
public final class TargetAgent implements AutoCloseable {
  /** The port the memory of a migration is received on unless told otherwise: 49152. */
  public static final int DEFAULT_PORT = 49152;

  /** The port disks are received on in block migration unless told otherwise: 49153. */
  public static final int DEFAULT_BLOCK_PORT = 49153;

  private static final Logger LOG = LoggerFactory.getLogger(TargetAgent.class);
  private static final AtomicInteger IDS = new AtomicInteger();
  private static final int HELLO_FIXED = 4 + 2 + 2 + 2 + 4 + 4 + 2;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration LINGER = Duration.ofMillis(300);

  private final MigrationTransport transport;
  private final List<MigrationTransport.Listener> listeners;
  private final Duration ioTimeout;
  private final String name;
  private final Watchdog watchdog;
  private final ExecutorService connections;
  private final List<Thread> acceptors = new ArrayList<>();
  private final Map<String, IncomingMigration> expected = new ConcurrentHashMap<>();
  private final Set<IncomingMigration> active = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private TargetAgent(
      MigrationTransport transport,
      List<MigrationTransport.Listener> listeners,
      Duration ioTimeout) {
    this.transport = transport;
    this.listeners = List.copyOf(listeners);
    this.ioTimeout = ioTimeout;
    this.name = "lm-dataplane-agent-" + IDS.incrementAndGet();
    this.watchdog = new Watchdog(name + "-watchdog");
    AtomicInteger threads = new AtomicInteger();
    this.connections =
        Executors.newCachedThreadPool(
            runnable -> {
              Thread thread = new Thread(runnable, name + "-conn-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    for (MigrationTransport.Listener listener : this.listeners) {
      Thread acceptor =
          new Thread(() -> acceptLoop(listener), name + "-accept-" + listener.address().getPort());
      acceptor.setDaemon(true);
      acceptors.add(acceptor);
    }
  }

  /**
   * Starts an agent listening on {@code address} (port 0 picks a free port).
   *
   * @param ioTimeout how long a silent source is waited for
   * @throws IOException if the address cannot be bound
   */
  public static TargetAgent start(
      MigrationTransport transport, InetSocketAddress address, Duration ioTimeout)
      throws IOException {
    return start(transport, List.of(address), ioTimeout);
  }

  /**
   * Starts an agent listening on several addresses at once (for example the memory port and the
   * block port); a migration's channels may arrive on any of them.
   *
   * @throws IOException if an address cannot be bound; nothing is left listening then
   */
  public static TargetAgent start(
      MigrationTransport transport, List<InetSocketAddress> addresses, Duration ioTimeout)
      throws IOException {
    Objects.requireNonNull(transport, "transport");
    if (ioTimeout.isNegative() || ioTimeout.isZero()) {
      throw new IllegalArgumentException("ioTimeout must be positive, but was " + ioTimeout);
    }
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("addresses must not be empty");
    }
    List<MigrationTransport.Listener> listeners = new ArrayList<>();
    try {
      for (InetSocketAddress address : addresses) {
        listeners.add(transport.listen(address));
      }
    } catch (IOException | RuntimeException e) {
      listeners.forEach(TargetAgent::closeQuietly);
      throw e;
    }
    TargetAgent agent = new TargetAgent(transport, listeners, ioTimeout);
    agent.acceptors.forEach(Thread::start);
    LOG.info("Target agent listening on {}://{}", transport.id(), agent.addresses());
    return agent;
  }

  /** The address the agent listens on, with its actual port. */
  public InetSocketAddress address() {
    return listeners.get(0).address();
  }

  /** Every address the agent listens on, with the actual ports, in the order given. */
  public List<InetSocketAddress> addresses() {
    return listeners.stream().map(MigrationTransport.Listener::address).toList();
  }

  /** The transport the agent listens with. */
  public MigrationTransport transport() {
    return transport;
  }

  /**
   * Expects a migration: makes the receiving memory now and issues a one-time token that the
   * migration's channels must present.
   *
   * @throws IllegalArgumentException if a migration with this uid is already expected, or the
   *     memory made does not have this page size and count
   * @throws IllegalStateException if the agent is closed
   */
  public IncomingMigration expect(
      String uid, int pageSize, int pageCount, Supplier<? extends ReceivingMemory> memory) {
    if (closed) {
      throw new IllegalStateException("the target agent " + address() + " is closed");
    }
    if (uid.isEmpty() || uid.getBytes(StandardCharsets.UTF_8).length > Protocol.MAX_ID) {
      throw new IllegalArgumentException(
          "uid must have 1 to " + Protocol.MAX_ID + " bytes, but was '" + uid + "'");
    }
    byte[] secret = new byte[24];
    RANDOM.nextBytes(secret);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    if (expected.containsKey(uid)) {
      throw new IllegalArgumentException("a migration with uid " + uid + " is already expected");
    }
    ReceivingMemory made = Objects.requireNonNull(memory.get(), "memory.get()");
    if (made.pageSize() != pageSize || made.pageCount() != pageCount) {
      made.discardAll();
      throw new IllegalArgumentException(
          "the memory must have "
              + pageCount
              + " pages of "
              + pageSize
              + " bytes, but has "
              + made.pageCount()
              + " of "
              + made.pageSize());
    }
    IncomingMigration incoming =
        new IncomingMigration(this, uid, token, pageSize, pageCount, made, ioTimeout);
    if (expected.putIfAbsent(uid, incoming) != null) {
      made.discardAll();
      throw new IllegalArgumentException("a migration with uid " + uid + " is already expected");
    }
    return incoming;
  }

  /** Returns how many migrations are being received now. */
  public int activeMigrations() {
    return active.size();
  }

  void forget(IncomingMigration incoming) {
    expected.remove(incoming.uid(), incoming);
    active.remove(incoming);
  }

  void activate(IncomingMigration incoming) {
    active.add(incoming);
  }

  void consumed(IncomingMigration incoming) {
    expected.remove(incoming.uid(), incoming);
  }

  Watchdog watchdog() {
    return watchdog;
  }

  /** Runs a task on the agent's threads, or here if the agent is closing. */
  void execute(Runnable task) {
    try {
      connections.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      task.run();
    }
  }

  private void acceptLoop(MigrationTransport.Listener listener) {
    while (!closed) {
      ByteChannel channel;
      try {
        channel = listener.accept();
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          LOG.warn("Target agent {}: accepting failed: {}", address(), e.getMessage());
        }
        return;
      }
      try {
        connections.execute(() -> serve(channel));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        closeQuietly(channel);
      }
    }
  }

  private void serve(ByteChannel channel) {
    Connection connection = new Connection(channel, "incoming connection to " + address());
    Watchdog.Group handshake =
        watchdog.watch(ioTimeout, reason -> connection.close("handshake " + reason));
    connection.watchedBy(handshake);
    IncomingMigration incoming;
    Protocol.Hello hello;
    try {
      try {
        hello = readHello(connection);
        incoming = expected.get(hello.uid());
        String refusal =
            incoming == null
                ? "no migration with uid "
                    + hello.uid()
                    + " is expected here (never announced, or its token was already used)"
                : incoming.attach(hello, connection);
        if (refusal != null) {
          LOG.warn("Target agent {}: refused a connection: {}", address(), refusal);
          connection.write(Protocol.encodeReply(false, refusal));
          drainAndClose(connection);
          return;
        }
        connection.write(Protocol.encodeReply(true, "accepted"));
      } finally {
        handshake.cancel();
      }
    } catch (ProtocolException e) {
      LOG.warn("Target agent {}: refused a connection: {}", address(), e.getMessage());
      try {
        connection.write(Protocol.encodeReply(false, e.getMessage()));
      } catch (IOException ignored) {
        // The peer is gone.
      }
      drainAndClose(connection);
      return;
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "Target agent {}: handshake failed: {}",
          address(),
          Failures.describe(e, "during the handshake"));
      connection.close();
      return;
    }
    incoming.receive(hello.channel(), connection);
  }

  /**
   * Reads what the refused peer still sends, for a moment, so that closing sends the refusal and a
   * clean end of stream rather than a reset.
   */
  private void drainAndClose(Connection connection) {
    Watchdog.Group linger = watchdog.watch(LINGER, reason -> connection.close());
    connection.watchedBy(linger);
    ByteBuffer sink = ByteBuffer.allocate(8 << 10);
    try {
      for (int i = 0; i < 64; i++) {
        sink.clear();
        connection.read(sink, true);
      }
    } catch (IOException e) {
      // The peer closed, or the moment passed.
    } finally {
      linger.cancel();
      connection.close();
    }
  }

  private Protocol.Hello readHello(Connection connection) throws IOException {
    ByteBuffer fixed = ByteBuffer.allocate(HELLO_FIXED);
    connection.readFully(fixed, true);
    fixed.flip();
    int magic = fixed.getInt();
    if (magic != Protocol.MAGIC) {
      throw new ProtocolException(
          "not a live-migration data-plane connection (bad magic 0x"
              + Integer.toHexString(magic)
              + ")");
    }
    short version = fixed.getShort();
    if (version != Protocol.VERSION) {
      throw new ProtocolException(
          "unsupported protocol version " + version + "; this agent speaks " + Protocol.VERSION);
    }
    int channel = Short.toUnsignedInt(fixed.getShort());
    int channels = Short.toUnsignedInt(fixed.getShort());
    int pageSize = fixed.getInt();
    int pageCount = fixed.getInt();
    if (channels < 1 || channels > Protocol.MAX_CHANNELS || channel >= channels) {
      throw new ProtocolException(
          "channel " + channel + " of " + channels + " is not a valid channel");
    }
    int uidLength = Short.toUnsignedInt(fixed.getShort());
    if (uidLength < 1 || uidLength > Protocol.MAX_ID) {
      throw new ProtocolException("uid of " + uidLength + " bytes is not valid");
    }
    ByteBuffer uidBytes = ByteBuffer.allocate(uidLength + 2);
    connection.readFully(uidBytes, true);
    uidBytes.flip();
    byte[] uid = new byte[uidLength];
    uidBytes.get(uid);
    int tokenLength = Short.toUnsignedInt(uidBytes.getShort());
    if (tokenLength > Protocol.MAX_ID) {
      throw new ProtocolException("token of " + tokenLength + " bytes is not valid");
    }
    ByteBuffer token = ByteBuffer.allocate(tokenLength);
    connection.readFully(token, true);
    return new Protocol.Hello(
        version,
        channel,
        channels,
        pageSize,
        pageCount,
        new String(uid, StandardCharsets.UTF_8),
        new String(token.array(), StandardCharsets.UTF_8));
  }

  /** Stops listening, fails the migrations being received and releases every thread. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    listeners.forEach(TargetAgent::closeQuietly);
    for (IncomingMigration incoming : expected.values()) {
      incoming.fail("the target agent was closed");
    }
    for (IncomingMigration incoming : active) {
      incoming.fail("the target agent was closed");
    }
    connections.shutdownNow();
    try {
      connections.awaitTermination(5, TimeUnit.SECONDS);
      for (Thread acceptor : acceptors) {
        acceptor.join(5_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    watchdog.close();
    LOG.info("Target agent {} closed", address());
  }

  private static void closeQuietly(java.io.Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException e) {
      // Best effort.
    }
  }
}
