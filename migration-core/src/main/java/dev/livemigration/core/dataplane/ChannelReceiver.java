package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.ReceivingMemory;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Reads one channel of an {@link IncomingMigration} until it ends: checks every frame, stores the
 * pages in the receiving memory and hands the control frames (channel 0 only) to the migration.
 * Runs on the channel's own agent thread; always closes its connection when it returns.
 */
final class ChannelReceiver {
  private final IncomingMigration migration;
  private final int channel;
  private final int epoch;
  private final Connection connection;
  private final ReceivingMemory target;
  private final int[] crcs;
  private final int pageSize;
  private final int pageCount;
  private final boolean compressed;

  ChannelReceiver(
      IncomingMigration migration,
      int channel,
      int epoch,
      Connection connection,
      ReceivingMemory target,
      int[] crcs,
      int pageSize,
      boolean compressed) {
    this.compressed = compressed;
    this.migration = migration;
    this.channel = channel;
    this.epoch = epoch;
    this.connection = connection;
    this.target = target;
    this.crcs = crcs;
    this.pageSize = pageSize;
    this.pageCount = crcs.length;
  }

  void run() {
    ZstdFrames.Inflater inflater = null;
    ByteBuffer zeros = ByteBuffer.allocateDirect(pageSize);
    int zeroCrc = Protocol.zeroPageCrc(pageSize);
    try {
      inflater = compressed ? new ZstdFrames.Inflater(connection, pageSize) : null;
      FrameReader reader = new FrameReader(connection, pageSize, true, inflater);
      while (true) {
        byte type = reader.next();
        switch (type) {
          case Protocol.PAGE -> {
            reader.require(Protocol.PAGE_HEADER);
            int index = reader.getInt(1);
            byte kind = reader.getByte(5);
            if (index < 0 || index >= pageCount) {
              throw new ProtocolException(
                  "corrupt frame: page index "
                      + index
                      + " outside [0, "
                      + pageCount
                      + ") on "
                      + connection.name());
            }
            // In post-copy a page the target has is the guest's: one arriving again is dropped.
            boolean duplicate = migration.inPostCopy() && target.isPresent(index);
            if (kind == Protocol.KIND_RAW) {
              int crc = reader.sealPage(pageSize);
              if (!duplicate) {
                target.receivePage(index, reader.slice(Protocol.PAGE_HEADER, pageSize));
                crcs[index] = crc;
              }
            } else if (kind == Protocol.KIND_ZERO) {
              reader.seal(Protocol.PAGE_HEADER);
              if (!duplicate) {
                target.receivePage(index, zeros.duplicate());
                crcs[index] = zeroCrc;
              }
            } else {
              throw new ProtocolException(
                  "corrupt frame: unknown page kind " + kind + " on " + connection.name());
            }
            if (duplicate) {
              migration.duplicate();
            }
          }
          case Protocol.ITERATION -> reader.seal(1 + 8);
          case Protocol.SYNC -> {
            reader.require(1 + 8);
            long sequence = reader.getLong(1);
            reader.seal(1 + 8);
            migration.synced(channel, sequence);
          }
          case Protocol.POSTCOPY -> {
            controlOnly(type);
            reader.require(1 + 8 + 4);
            long sequence = reader.getLong(1);
            int length = reader.getInt(9);
            int expectedLength = (pageCount + 7) >>> 3;
            if (length != expectedLength) {
              throw new ProtocolException(
                  "corrupt frame: a post-copy bitmap of "
                      + length
                      + " bytes, but "
                      + expectedLength
                      + " were expected");
            }
            byte[] bitmap = reader.blob(1 + 8 + 4, length);
            migration.switchToPostCopy(sequence, bitmap);
          }
          case Protocol.DIGEST -> {
            controlOnly(type);
            reader.require(1 + 8 + Protocol.DIGEST_BYTES);
            long sequence = reader.getLong(1);
            byte[] digest = new byte[Protocol.DIGEST_BYTES];
            reader.slice(1 + 8, Protocol.DIGEST_BYTES).get(digest);
            reader.seal(1 + 8 + Protocol.DIGEST_BYTES);
            migration.verify(sequence, digest);
          }
          case Protocol.GO -> {
            controlOnly(type);
            reader.seal(1);
            migration.go();
          }
          case Protocol.ABORT -> {
            String reason = reader.text();
            migration.fail("the source aborted: " + reason, false);
            return;
          }
          case Protocol.END -> {
            reader.seal(1);
            return;
          }
          default ->
              throw new ProtocolException(
                  "corrupt frame: unknown frame type "
                      + Protocol.describeType(type)
                      + " on "
                      + connection.name());
        }
      }
    } catch (IOException | RuntimeException e) {
      String reason = connection.closedBecause();
      if (reason == null || e instanceof ProtocolException) {
        reason = Failures.describe(e, "on " + connection.name());
      }
      // A broken or silent connection is the link's fault; a bad frame or a failed check is not.
      boolean link =
          connection.closedBecause() != null
              || (e instanceof IOException
                  && !(e instanceof TransferFailedException)
                  && !(e instanceof ProtocolException));
      migration.lost(reason, link, epoch);
    } finally {
      if (inflater != null) {
        inflater.close();
      }
      connection.close();
    }
  }

  private void controlOnly(byte type) throws ProtocolException {
    if (channel != 0) {
      throw new ProtocolException(
          "corrupt frame: a " + Protocol.describeType(type) + " frame on channel " + channel);
    }
  }
}
