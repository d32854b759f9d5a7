package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.api.spi.ReceivingMemory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target side of the data plane on one host: listens on one address, accepts only the
 * migrations it was told to expect (by uid and a one-time token), and receives several at once,
 * each into its own {@link ReceivingMemory}.
 *
 * <p>Unauthenticated peers are bounded: each handshake must be done within twice the I/O timeout in
 * all (and may not pause for longer than the I/O timeout), and at most {@value #MAX_HANDSHAKES}
 * handshakes run at once; a connection beyond that is closed at once, unread. A peer that is
 * refused learns only that no such migration is expected or its token is wrong, never which
 * migrations are. A migration in post-copy whose link breaks waits for its source to resume it (see
 * {@link IncomingMigration}) for the post-copy recovery budget plus twice the I/O timeout, so that
 * the source, whose budget runs out first, decides. The agent remembers the outcome of its last
 * {@value #REMEMBERED} settled migrations for their sources' outcome queries (see {@link Verdict}).
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

  /**
   * How many connections may be in their handshake (not yet authenticated) at once: 64. A
   * connection beyond it is closed at once, unread.
   */
  public static final int MAX_HANDSHAKES = 64;

  /** How many settled migrations an agent remembers for outcome queries: 1024. */
  static final int REMEMBERED = 1024;

  private static final String STRANGER =
      "refused: no such migration is expected here, or the token is wrong";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final MigrationTransport transport;
  private final List<MigrationTransport.Listener> listeners;
  private final Duration ioTimeout;
  private final String name;
  private final Watchdog watchdog;
  private final ExecutorService connections;
  private final List<Thread> acceptors = new ArrayList<>();
  private final IncomingMigrations migrations = new IncomingMigrations(REMEMBERED);
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final Semaphore handshakes = new Semaphore(MAX_HANDSHAKES);
  private final AtomicLong turnedAway = new AtomicLong();
  private final Duration handshakeDeadline;
  private final Duration recoveryWait;
  private volatile boolean closed;

  private TargetAgent(
      MigrationTransport transport,
      List<MigrationTransport.Listener> listeners,
      Duration ioTimeout,
      Duration recoveryBudget) {
    this.transport = transport;
    this.recoveryWait =
        recoveryBudget.isZero() ? Duration.ZERO : recoveryBudget.plus(ioTimeout.multipliedBy(2));
    this.listeners = List.copyOf(listeners);
    this.ioTimeout = ioTimeout;
    this.handshakeDeadline = ioTimeout.multipliedBy(2);
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
    return start(
        transport, addresses, ioTimeout, TransferOptions.DEFAULT_POST_COPY_RECOVERY_BUDGET);
  }

  /**
   * Starts an agent listening on several addresses, whose migrations in post-copy survive a broken
   * link for {@code postCopyRecoveryBudget} (plus twice the I/O timeout): the source's budget, see
   * {@link TransferOptions#postCopyRecoveryBudget()}. Zero turns recovery off: a broken link fails
   * a migration in post-copy at once.
   *
   * @throws IOException if an address cannot be bound; nothing is left listening then
   */
  public static TargetAgent start(
      MigrationTransport transport,
      List<InetSocketAddress> addresses,
      Duration ioTimeout,
      Duration postCopyRecoveryBudget)
      throws IOException {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(postCopyRecoveryBudget, "postCopyRecoveryBudget");
    if (postCopyRecoveryBudget.isNegative()) {
      throw new IllegalArgumentException(
          "postCopyRecoveryBudget must be >= 0, but was " + postCopyRecoveryBudget);
    }
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
    TargetAgent agent = new TargetAgent(transport, listeners, ioTimeout, postCopyRecoveryBudget);
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
    if (migrations.isExpected(uid)) {
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
        new IncomingMigration(this, uid, token, pageSize, pageCount, made, ioTimeout, recoveryWait);
    if (!migrations.expect(incoming)) {
      made.discardAll();
      throw new IllegalArgumentException("a migration with uid " + uid + " is already expected");
    }
    return incoming;
  }

  /** Returns how many migrations are being received now. */
  public int activeMigrations() {
    return migrations.active().size();
  }

  /** The migration ended (the guest runs here, or it failed); it is remembered for a while. */
  void settled(IncomingMigration incoming) {
    migrations.settled(incoming);
  }

  void activate(IncomingMigration incoming) {
    migrations.activate(incoming);
  }

  void consumed(IncomingMigration incoming) {
    migrations.consumed(incoming);
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
      if (!handshakes.tryAcquire()) {
        // At the cap: the connection is closed at once, unread; a legitimate source sees the end
        // of the stream during its handshake and fails (its control plane retries).
        long count = turnedAway.incrementAndGet();
        if (Long.bitCount(count) == 1) {
          LOG.warn(
              "Target agent {}: {} unauthenticated connection(s) at once, the most allowed;"
                  + " closed {} connection(s) unread so far",
              address(),
              MAX_HANDSHAKES,
              count);
        }
        closeQuietly(channel);
        continue;
      }
      try {
        connections.execute(() -> serve(channel));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        handshakes.release();
        closeQuietly(channel);
      }
    }
  }

  private void serve(ByteChannel channel) {
    Connection connection = new Connection(channel, "incoming connection to " + address());
    open.add(connection);
    try {
      Channel attached = handshake(connection);
      if (attached != null) {
        attached.incoming().receive(attached.index(), attached.epoch(), connection);
      }
    } finally {
      open.remove(connection);
      connection.close();
    }
  }

  private record Channel(IncomingMigration incoming, int index, int epoch) {}

  /** Runs the handshake of one connection; returns the channel it attached, or null. */
  private @Nullable Channel handshake(Connection connection) {
    Watchdog.Group handshake =
        watchdog.watch(
            ioTimeout, handshakeDeadline, reason -> connection.close("handshake " + reason));
    connection.watchedBy(handshake);
    IncomingMigration incoming = null;
    IncomingMigration resuming = null;
    int epoch = 0;
    try {
      if (closed) {
        return null;
      }
      AgentHandshake.Request request = AgentHandshake.read(connection);
      if (request instanceof AgentHandshake.Query query) {
        connection.write(Protocol.encodeAnswer(answer(query)));
        ConnectionRefusal.drainAndClose(connection, watchdog);
        return null;
      }
      if (request instanceof AgentHandshake.Resume resume) {
        Protocol.Resume wanted = resume.resume();
        IncomingMigration candidate = migrations.known(wanted.uid());
        if (candidate == null || !candidate.resumeTokenMatches(wanted.token())) {
          LOG.warn(
              "Target agent {}: refused to resume migration {}: {}",
              address(),
              Protocol.printable(wanted.uid()),
              candidate == null ? "not known here" : "the resume token does not match");
          ConnectionRefusal.refuse(connection, watchdog, STRANGER);
          return null;
        }
        IncomingMigration.Resumed resumed = candidate.resume(wanted, connection);
        String refusal = resumed.refusal();
        if (refusal != null) {
          LOG.warn("Target agent {}: refused to resume a link: {}", address(), refusal);
          ConnectionRefusal.refuse(connection, watchdog, refusal);
          return null;
        }
        resuming = candidate;
        epoch = resumed.epoch();
        connection.write(Protocol.encodeReply(true, "resumed", Protocol.VERSION));
        if (wanted.channel() == 0) {
          connection.write(Protocol.encodeResumed(epoch, resumed.present()));
          candidate.resumedControl(epoch, connection);
        }
        return new Channel(candidate, wanted.channel(), epoch);
      }
      Protocol.Hello hello = ((AgentHandshake.Hello) request).hello();
      IncomingMigration candidate = migrations.expected(hello.uid());
      if (candidate == null || !candidate.tokenMatches(hello.token())) {
        // Say less to strangers: the same words for an unknown uid and a wrong token.
        LOG.warn(
            "Target agent {}: refused a connection for migration {}: {}",
            address(),
            Protocol.printable(hello.uid()),
            candidate == null
                ? "not expected here (never announced, already settled, or its token was used)"
                : "the token does not match");
        ConnectionRefusal.refuse(connection, watchdog, STRANGER);
        return null;
      }
      String refusal = candidate.attach(hello, connection);
      if (refusal != null) {
        LOG.warn("Target agent {}: refused a connection: {}", address(), refusal);
        ConnectionRefusal.refuse(connection, watchdog, refusal);
        return null;
      }
      incoming = candidate;
      connection.write(Protocol.encodeReply(true, "accepted", hello.version()));
      return new Channel(incoming, hello.channel(), 0);
    } catch (ProtocolException e) {
      LOG.warn("Target agent {}: refused a connection: {}", address(), e.getMessage());
      ConnectionRefusal.refuse(connection, watchdog, e.getMessage());
      return null;
    } catch (IOException | RuntimeException e) {
      String why = connection.closedBecause();
      String reason = why != null ? why : Failures.describe(e, "during the handshake");
      LOG.warn("Target agent {}: handshake failed: {}", address(), reason);
      if (incoming != null) {
        // Attached, but the source is gone already: nothing may stay attached to it.
        incoming.fail("the source vanished during the handshake: " + reason);
        incoming.detached(0);
      }
      if (resuming != null) {
        // A resume that broke before it was done: the link is broken again.
        resuming.lost("the source vanished while resuming: " + reason, true, epoch);
        resuming.detached(epoch);
      }
      return null;
    } finally {
      handshake.cancel();
      handshakes.release();
    }
  }

  private Verdict answer(AgentHandshake.Query query) {
    IncomingMigration incoming = migrations.known(query.uid());
    if (incoming == null || !incoming.tokenMatches(query.token())) {
      LOG.warn(
          "Target agent {}: an outcome query for unknown migration {} (or a wrong token)",
          address(),
          Protocol.printable(query.uid()));
      return Verdict.unknown("this agent knows no such migration, or the token is wrong");
    }
    Verdict verdict = incoming.settle();
    LOG.info(
        "Target agent {}: the source of migration {} asked for the outcome: {} ({})",
        address(),
        Protocol.printable(query.uid()),
        verdict.kind(),
        verdict.reason());
    return verdict;
  }

  /** Stops listening, fails the migrations being received and releases every thread. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    listeners.forEach(TargetAgent::closeQuietly);
    for (IncomingMigration incoming : migrations.expected()) {
      incoming.fail("the target agent was closed");
    }
    for (IncomingMigration incoming : migrations.active()) {
      incoming.fail("the target agent was closed");
    }
    // Channels of guests that run here already wait for their source's end: close them too.
    for (Connection connection : open) {
      connection.close("the target agent was closed");
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
