package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigrationTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channels of an {@link OutgoingMigration}: connects them (HELLO), and in post-copy replaces
 * them after a break with new ones that resume the link (RESUME, see {@link Protocol}). Each set of
 * connections is watched by a watchdog group of its own; a stall of the current set is reported,
 * one of a replaced set is not. {@link #writers()} is the list the {@link PageSender} writes to: it
 * changes only while no page is being sent.
 */
final class SourceChannels {
  private static final Logger LOG = LoggerFactory.getLogger(OutgoingMigration.class);

  private final String uid;
  private final String token;
  private final MigrationTransport transport;
  private final ChannelRouting routing;
  private final int memoryChannels;
  private final int channels;
  private final int pageSize;
  private final int pageCount;
  private final Duration ioTimeout;
  private final boolean compressed;
  private final TokenBucket bucket;
  private final LongAdder wireBytes;
  private final BooleanSupplier stopping;
  private final Watchdog watchdog;
  private final Consumer<String> onStall;
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final List<FrameWriter> writers = new ArrayList<>();
  private volatile Watchdog.Group group;

  SourceChannels(
      String uid,
      String token,
      MigrationTransport transport,
      ChannelRouting routing,
      int memoryChannels,
      int channels,
      int pageSize,
      int pageCount,
      TransferOptions options,
      TokenBucket bucket,
      LongAdder wireBytes,
      BooleanSupplier stopping,
      Watchdog watchdog,
      Consumer<String> onStall) {
    this.uid = uid;
    this.token = token;
    this.transport = transport;
    this.routing = routing;
    this.memoryChannels = memoryChannels;
    this.channels = channels;
    this.pageSize = pageSize;
    this.pageCount = pageCount;
    this.ioTimeout = options.ioTimeout();
    this.compressed = options.compression() == dev.livemigration.api.MigrationCompression.ZSTD;
    this.bucket = bucket;
    this.wireBytes = wireBytes;
    this.stopping = stopping;
    this.watchdog = watchdog;
    this.onStall = onStall;
    this.group = watchGroup();
  }

  private Watchdog.Group watchGroup() {
    Watchdog.Group[] self = new Watchdog.Group[1];
    self[0] =
        watchdog.watch(
            ioTimeout,
            stall -> {
              if (group == self[0]) {
                onStall.accept(stall);
              }
            });
    return self[0];
  }

  /** The writers of the channels, shared with the page sender. */
  List<FrameWriter> writers() {
    return writers;
  }

  /** Channel 0, which carries the control frames and the target's answers. */
  Connection control() {
    return connections.get(0);
  }

  /** Connects every channel and runs its handshake. */
  void connect() throws IOException {
    for (int channel = 0; channel < channels; channel++) {
      InetSocketAddress address = routing.targetOf(channel, memoryChannels);
      Connection connection = open(channel, address, ioTimeout);
      Protocol.Hello hello =
          compressed
              ? new Protocol.Hello(
                  Protocol.VERSION_COMPRESSED,
                  channel,
                  channels,
                  pageSize,
                  pageCount,
                  uid,
                  token,
                  Protocol.COMPRESSION_ZSTD)
              : new Protocol.Hello(
                  Protocol.VERSION, channel, channels, pageSize, pageCount, uid, token);
      SourceHandshake.run(connection, hello, address);
      writers.add(writer(connection));
    }
    LOG.debug(
        "Migration {}: {} channel(s) connected to {}{}",
        uid,
        channels,
        routing.targets(),
        compressed ? ", zstd-compressed" : "");
  }

  /**
   * Replaces the channels (whose connections must be closed, and no page being sent) with new ones
   * that resume the post-copy link; returns the bitmap of the pages the target has.
   *
   * @param bound how long this attempt may take at most
   * @throws LinkRecovery.Refused if the agent refused to resume
   * @throws IOException if the attempt failed otherwise; its connections are closed then
   */
  byte[] resume(Duration bound) throws IOException {
    release("replaced by a resumed link");
    writers.clear();
    connections.clear();
    group.cancel();
    group = watchGroup();
    Duration connectBound = bound.compareTo(ioTimeout) < 0 ? bound : ioTimeout;
    String resumeToken = Protocol.resumeToken(uid, token);
    try {
      InetSocketAddress first = routing.targetOf(0, memoryChannels);
      Connection control = open(0, first, connectBound);
      SourceHandshake.resume(control, new Protocol.Resume(0, channels, 0, uid, resumeToken), first);
      ByteBuffer fixed = ByteBuffer.allocate(8);
      control.readFully(fixed, true);
      int epoch = fixed.getInt(0);
      int length = fixed.getInt(4);
      int expected = (pageCount + 7) >>> 3;
      if (length != expected || epoch < 1) {
        throw new ProtocolException(
            "the target's resume reply is corrupt: epoch "
                + epoch
                + ", a bitmap of "
                + length
                + " bytes where "
                + expected
                + " were expected");
      }
      ByteBuffer present = ByteBuffer.allocate(length);
      control.readFully(present, true);
      for (int channel = 1; channel < channels; channel++) {
        InetSocketAddress address = routing.targetOf(channel, memoryChannels);
        Connection connection = open(channel, address, connectBound);
        SourceHandshake.resume(
            connection, new Protocol.Resume(channel, channels, epoch, uid, resumeToken), address);
      }
      for (Connection connection : connections) {
        writers.add(writer(connection));
      }
      LOG.info("Migration {}: {} channel(s) resumed (epoch {})", uid, channels, epoch);
      return present.array();
    } catch (IOException | RuntimeException e) {
      for (Connection connection : connections) {
        connection.close("the attempt to resume failed");
      }
      writers.clear();
      throw e;
    }
  }

  private Connection open(int channel, InetSocketAddress address, Duration timeout)
      throws IOException {
    Connection connection =
        new Connection(
            transport.connect(address, timeout),
            "channel " + channel + " to " + transport.id() + "://" + address);
    connections.add(connection);
    connection.watchedBy(group);
    return connection;
  }

  private FrameWriter writer(Connection connection) {
    return new FrameWriter(
        connection,
        pageSize,
        bucket,
        stopping,
        wireBytes,
        compressed ? new ZstdFrames.Deflater(pageSize) : null);
  }

  /** Closes every connection, remembering why. Idempotent. */
  void closeAll(String because) {
    for (Connection connection : connections) {
      connection.close(because);
    }
  }

  /** Closes the connections and frees the writers' compressors; only when no thread writes. */
  void release(String because) {
    closeAll(because);
    writers.forEach(FrameWriter::close);
  }

  /** Stops watching. */
  void cancel() {
    group.cancel();
  }
}
