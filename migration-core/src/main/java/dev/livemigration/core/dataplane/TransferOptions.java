package dev.livemigration.core.dataplane;

import dev.livemigration.api.MigrationCompression;
import java.time.Duration;
import java.util.Objects;

/**
 * How the source side of the data plane moves a memory: how many parallel channels, at what
 * bandwidth, how long the guest may pause at the switch, and how long a silent peer is waited for.
 *
 * @param channels parallel connections per migration (like QEMU's multifd), 1 to 64
 * @param bandwidth the limit in bytes per second over all channels; 0 means unlimited
 * @param maxDowntime the longest pause of the guest at the switch to aim for at the start;
 *     positive; {@link dev.livemigration.api.Directive.SetMaxDowntime} changes it during the
 *     migration ({@link DataPlaneBackend} takes it from {@link
 *     dev.livemigration.api.spi.MigrationSpec#initialMaxDowntime()})
 * @param ioTimeout how long a connection, a read, a write or an answer may take; positive
 * @param compression how what the source sends is compressed: {@link MigrationCompression#NONE}
 *     (the default) or {@link MigrationCompression#ZSTD} (KubeVirt's {@code
 *     experimental.compression: zstd}; the target learns it in the handshake and must speak
 *     protocol version 3)
 * @param postCopyRecoveryBudget how long, in all, a source in post-copy whose link broke or went
 *     silent keeps reconnecting to resume before the migration fails (and the guest loses the pages
 *     the target lacks); zero turns recovery off; {@link #DEFAULT_POST_COPY_RECOVERY_BUDGET} unless
 *     set
 */
public record TransferOptions(
    int channels,
    long bandwidth,
    Duration maxDowntime,
    Duration ioTimeout,
    MigrationCompression compression,
    Duration postCopyRecoveryBudget) {
  /** The maximum downtime unless told otherwise: 300 ms, like KubeVirt's. */
  public static final Duration DEFAULT_MAX_DOWNTIME = Duration.ofMillis(300);

  /** How long a silent peer is waited for unless told otherwise: 30 seconds. */
  public static final Duration DEFAULT_IO_TIMEOUT = Duration.ofSeconds(30);

  /**
   * How long a broken post-copy link is reconnected unless told otherwise: 2 minutes, long enough
   * for a switch to reboot or a link to flap, short enough that a guest waiting on its pages is not
   * frozen for long.
   */
  public static final Duration DEFAULT_POST_COPY_RECOVERY_BUDGET = Duration.ofMinutes(2);

  private static final TransferOptions DEFAULTS =
      new TransferOptions(
          1, 0, DEFAULT_MAX_DOWNTIME, DEFAULT_IO_TIMEOUT, MigrationCompression.NONE);

  /** Validates every component, naming the one that is wrong. */
  public TransferOptions {
    if (channels < 1 || channels > Protocol.MAX_CHANNELS) {
      throw new IllegalArgumentException(
          "channels must be between 1 and " + Protocol.MAX_CHANNELS + ", but was " + channels);
    }
    if (bandwidth < 0) {
      throw new IllegalArgumentException("bandwidth must be >= 0, but was " + bandwidth);
    }
    Objects.requireNonNull(maxDowntime, "maxDowntime");
    if (maxDowntime.isNegative() || maxDowntime.isZero()) {
      throw new IllegalArgumentException("maxDowntime must be positive, but was " + maxDowntime);
    }
    Objects.requireNonNull(ioTimeout, "ioTimeout");
    if (ioTimeout.isNegative() || ioTimeout.isZero()) {
      throw new IllegalArgumentException("ioTimeout must be positive, but was " + ioTimeout);
    }
    Objects.requireNonNull(compression, "compression");
    Objects.requireNonNull(postCopyRecoveryBudget, "postCopyRecoveryBudget");
    if (postCopyRecoveryBudget.isNegative()) {
      throw new IllegalArgumentException(
          "postCopyRecoveryBudget must be >= 0, but was " + postCopyRecoveryBudget);
    }
  }

  /** Options with the default post-copy recovery budget. */
  public TransferOptions(
      int channels,
      long bandwidth,
      Duration maxDowntime,
      Duration ioTimeout,
      MigrationCompression compression) {
    this(
        channels,
        bandwidth,
        maxDowntime,
        ioTimeout,
        compression,
        DEFAULT_POST_COPY_RECOVERY_BUDGET);
  }

  /** Options without compression. */
  public TransferOptions(int channels, long bandwidth, Duration maxDowntime, Duration ioTimeout) {
    this(channels, bandwidth, maxDowntime, ioTimeout, MigrationCompression.NONE);
  }

  /** One channel, unlimited bandwidth, 300 ms downtime, 30 s I/O timeout, no compression. */
  public static TransferOptions defaults() {
    return DEFAULTS;
  }

  /** Returns a copy with {@code channels} parallel connections. */
  public TransferOptions withChannels(int channels) {
    return new TransferOptions(
        channels, bandwidth, maxDowntime, ioTimeout, compression, postCopyRecoveryBudget);
  }

  /** Returns a copy limited to {@code bytesPerSecond}; 0 means unlimited. */
  public TransferOptions withBandwidth(long bytesPerSecond) {
    return new TransferOptions(
        channels, bytesPerSecond, maxDowntime, ioTimeout, compression, postCopyRecoveryBudget);
  }

  /** Returns a copy with this maximum downtime. */
  public TransferOptions withMaxDowntime(Duration maxDowntime) {
    return new TransferOptions(
        channels, bandwidth, maxDowntime, ioTimeout, compression, postCopyRecoveryBudget);
  }

  /** Returns a copy with this I/O timeout. */
  public TransferOptions withIoTimeout(Duration ioTimeout) {
    return new TransferOptions(
        channels, bandwidth, maxDowntime, ioTimeout, compression, postCopyRecoveryBudget);
  }

  /** Returns a copy whose broken post-copy link is reconnected for this long; zero: never. */
  public TransferOptions withPostCopyRecoveryBudget(Duration budget) {
    return new TransferOptions(channels, bandwidth, maxDowntime, ioTimeout, compression, budget);
  }

  /** Returns a copy that compresses what the source sends this way. */
  public TransferOptions withCompression(MigrationCompression compression) {
    return new TransferOptions(
        channels, bandwidth, maxDowntime, ioTimeout, compression, postCopyRecoveryBudget);
  }
}
