package dev.livemigration.core.dataplane;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The zstd layer of a compressed channel (protocol version 3, {@code experimental.compression:
 * zstd}): everything the source sends after the handshake travels in {@code ZBLOCK} frames — type
 * {@code 0x0A}, the block's decompressed length and its compressed length (ints), the zstd frame,
 * and a CRC32C of all that — and each block decompresses to a run of ordinary frames.
 *
 * <p>A peer controls both lengths and the zstd frame's own content size, so each is checked against
 * the limit of a block (the size of a frame writer's buffer, {@link Protocol#blockLimit}) before
 * anything is read or decompressed; decompression writes into a buffer of exactly that limit, so a
 * block that would inflate beyond it fails instead of allocating (no decompression bomb). Only this
 * class touches zstd-jni: an uncompressed migration never loads it.
 */
final class ZstdFrames {
  static final byte ZBLOCK = Protocol.ZBLOCK;
  static final int HEADER = 1 + 4 + 4;

  /** The zstd level: 1, the fastest (QEMU's multifd-zstd default). */
  private static final int LEVEL = 1;

  private ZstdFrames() {}

  /**
   * Checks that zstd can be used in this JVM.
   *
   * @return null if it can, else why not, in words for the user
   */
  static String unavailable() {
    try {
      Zstd.compressBound(1);
      return null;
    } catch (LinkageError | RuntimeException e) {
      return "zstd compression (experimental.compression: zstd) is not available in this JVM: the"
          + " zstd-jni library could not be loaded ("
          + e
          + ")";
    }
  }

  static int compressBound(int raw) {
    return (int) Zstd.compressBound(raw);
  }

  /** Compresses runs of frames into ZBLOCK frames; one per writer, not thread-safe. */
  static final class Deflater implements AutoCloseable {
    private final ZstdCompressCtx ctx = new ZstdCompressCtx().setLevel(LEVEL);
    private final ByteBuffer out;
    private final int limit;
    private final CRC32C crc = new CRC32C();
    private boolean closed;

    Deflater(int pageSize) {
      this.limit = Protocol.blockLimit(pageSize);
      this.out = ByteBuffer.allocateDirect(HEADER + compressBound(limit) + Protocol.CRC_BYTES);
    }

    /** The most raw bytes one block may carry. */
    int limit() {
      return limit;
    }

    /**
     * Compresses {@code raw}'s remaining bytes (at most {@link #limit()}) into one ZBLOCK frame and
     * consumes them; the frame stays valid until the next call.
     */
    ByteBuffer deflate(ByteBuffer raw) {
      int length = raw.remaining();
      if (length < 1 || length > limit) {
        throw new IllegalArgumentException(
            "a block must hold 1 to " + limit + " bytes, but had " + length);
      }
      ByteBuffer src =
          raw.isDirect() ? raw : ByteBuffer.allocateDirect(length).put(raw.duplicate()).flip();
      out.clear();
      int compressed =
          ctx.compressDirectByteBuffer(
              out,
              HEADER,
              out.capacity() - HEADER - Protocol.CRC_BYTES,
              src,
              src.position(),
              length);
      raw.position(raw.limit());
      out.clear();
      out.put(ZBLOCK).putInt(length).putInt(compressed);
      crc.reset();
      crc.update(out.slice(0, HEADER + compressed));
      out.position(HEADER + compressed);
      out.putInt((int) crc.getValue());
      return out.flip();
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        ctx.close();
      }
    }
  }

  /**
   * Reads ZBLOCK frames from a connection and hands out what they decompress to, checking every
   * length a peer controls first; one per channel, not thread-safe.
   */
  static final class Inflater implements AutoCloseable {
    private final Connection connection;
    private final int limit;
    private final int maxCompressed;
    private final ZstdDecompressCtx ctx = new ZstdDecompressCtx();
    private final ByteBuffer header = ByteBuffer.allocate(HEADER);
    private final ByteBuffer compressed;
    private final ByteBuffer plain;
    private final CRC32C crc = new CRC32C();
    private final int pageSize;
    private boolean closed;

    Inflater(Connection connection, int pageSize) {
      this.connection = connection;
      this.pageSize = pageSize;
      this.limit = Protocol.blockLimit(pageSize);
      this.maxCompressed = compressBound(limit);
      this.compressed = ByteBuffer.allocateDirect(maxCompressed + Protocol.CRC_BYTES);
      this.plain = ByteBuffer.allocateDirect(limit);
      this.plain.flip();
    }

    /** Copies decompressed bytes into {@code dst}, reading the next block when none are left. */
    void read(ByteBuffer dst, boolean timed) throws IOException {
      if (!plain.hasRemaining()) {
        next(timed);
      }
      int n = Math.min(plain.remaining(), dst.remaining());
      dst.put(plain.slice(plain.position(), n));
      plain.position(plain.position() + n);
    }

    private void next(boolean timed) throws IOException {
      header.clear();
      connection.readFully(header, timed);
      header.flip();
      byte type = header.get(0);
      int raw = header.getInt(1);
      int length = header.getInt(5);
      if (type != ZBLOCK) {
        throw new ProtocolException(
            "corrupt frame: a "
                + Protocol.describeType(type)
                + " frame on a compressed channel, where only compressed blocks may come, on "
                + connection.name());
      }
      if (raw < 1 || raw > limit) {
        throw declaredTooLarge(Integer.toUnsignedLong(raw));
      }
      if (length < 1 || length > maxCompressed) {
        throw new ProtocolException(
            "corrupt compressed frame: "
                + Integer.toUnsignedLong(length)
                + " compressed bytes, but a block of at most "
                + limit
                + " bytes compresses to at most "
                + maxCompressed
                + " on "
                + connection.name());
      }
      compressed.clear().limit(length + Protocol.CRC_BYTES);
      connection.readFully(compressed, timed);
      crc.reset();
      crc.update(header.duplicate().rewind());
      crc.update(compressed.slice(0, length));
      if ((int) crc.getValue() != compressed.getInt(length)) {
        throw new ProtocolException(
            "corrupt frame: checksum mismatch in a compressed block on " + connection.name());
      }
      long declared = Zstd.getDirectByteBufferFrameContentSize(compressed, 0, length);
      if (declared > limit) {
        throw declaredTooLarge(declared);
      }
      int produced;
      try {
        produced = ctx.decompressDirectByteBuffer(plain.clear(), 0, limit, compressed, 0, length);
      } catch (ZstdException e) {
        plain.clear().flip();
        if (e.getErrorCode() == Zstd.errDstSizeTooSmall()) {
          throw new ProtocolException(
              "corrupt compressed frame: it decompresses to more than "
                  + limitText()
                  + "; decompression stopped at the limit, on "
                  + connection.name());
        }
        throw new ProtocolException(
            "corrupt compressed frame: zstd cannot decompress it ("
                + e.getMessage()
                + ") on "
                + connection.name());
      }
      if (produced != raw) {
        plain.clear().flip();
        throw new ProtocolException(
            "corrupt compressed frame: it declares "
                + raw
                + " bytes but decompressed to "
                + produced
                + " on "
                + connection.name());
      }
      plain.position(0).limit(produced);
    }

    private ProtocolException declaredTooLarge(long bytes) {
      return new ProtocolException(
          "corrupt compressed frame: it declares "
              + bytes
              + " bytes once decompressed, more than "
              + limitText()
              + "; refused before decompressing, on "
              + connection.name());
    }

    private String limitText() {
      return "the " + limit + " bytes a block may hold (pages of " + pageSize + " bytes)";
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        ctx.close();
      }
    }
  }
}
