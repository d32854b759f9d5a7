package dev.livemigration.core.dataplane;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * Reads frames of the {@link Protocol} from a connection through a buffer, checking each frame's
 * checksum and every length before use. Not thread-safe.
 */
final class FrameReader {
  private final Connection connection;
  private final ByteBuffer buffer;
  private final boolean timed;
  private final ZstdFrames.@Nullable Inflater inflater;
  private final CRC32C crc = new CRC32C();
  private int frameStart;

  FrameReader(Connection connection, int pageSize, boolean timed) {
    this(connection, pageSize, timed, null);
  }

  /** A reader of a channel whose frames come in zstd blocks when {@code inflater} is given. */
  FrameReader(
      Connection connection, int pageSize, boolean timed, ZstdFrames.@Nullable Inflater inflater) {
    this.connection = connection;
    this.buffer = ByteBuffer.allocateDirect(Protocol.blockLimit(pageSize));
    this.buffer.flip();
    this.timed = timed;
    this.inflater = inflater;
  }

  private void fill(ByteBuffer into) throws IOException {
    if (inflater != null) {
      inflater.read(into, timed);
    } else {
      connection.read(into, timed);
    }
  }

  /** Waits for the next frame and returns its type; the frame's body follows. */
  byte next() throws IOException {
    require(1);
    frameStart = buffer.position();
    return buffer.get(frameStart);
  }

  /** Makes {@code bytes} of the current frame, counted from its type byte, available. */
  void require(int bytes) throws IOException {
    int have = buffer.limit() - buffer.position();
    if (have >= bytes) {
      return;
    }
    if (bytes > buffer.capacity()) {
      throw new ProtocolException("corrupt frame: " + bytes + " bytes do not fit a frame");
    }
    buffer.compact();
    frameStart = 0;
    while (buffer.position() < bytes) {
      fill(buffer);
    }
    buffer.flip();
  }

  byte getByte(int offset) {
    return buffer.get(frameStart + offset);
  }

  short getShort(int offset) {
    return buffer.getShort(frameStart + offset);
  }

  int getInt(int offset) {
    return buffer.getInt(frameStart + offset);
  }

  long getLong(int offset) {
    return buffer.getLong(frameStart + offset);
  }

  ByteBuffer slice(int offset, int length) {
    return buffer.slice(frameStart + offset, length);
  }

  /**
   * Checks the CRC32C that follows {@code length} bytes of the current frame and consumes the
   * frame.
   */
  void seal(int length) throws IOException {
    require(length + Protocol.CRC_BYTES);
    crc.reset();
    crc.update(buffer.slice(frameStart, length));
    check(length);
  }

  /**
   * Checks a page frame: CRC32C over the payload, then over the header; returns the payload's
   * CRC32C. The payload stays readable through {@link #slice} until the next call.
   */
  int sealPage(int pageSize) throws IOException {
    int length = Protocol.PAGE_HEADER + pageSize;
    require(length + Protocol.CRC_BYTES);
    crc.reset();
    crc.update(buffer.slice(frameStart + Protocol.PAGE_HEADER, pageSize));
    int pageCrc = (int) crc.getValue();
    crc.update(buffer.slice(frameStart, Protocol.PAGE_HEADER));
    check(length);
    return pageCrc;
  }

  private void check(int length) throws ProtocolException {
    int expected = buffer.getInt(frameStart + length);
    if ((int) crc.getValue() != expected) {
      throw new ProtocolException(
          "corrupt frame: checksum mismatch in a "
              + Protocol.describeType(buffer.get(frameStart))
              + " frame on "
              + connection.name());
    }
    buffer.position(frameStart + length + Protocol.CRC_BYTES);
  }

  /** Reads a text frame (type, length, UTF-8, CRC) after {@link #next()}; the text is printable. */
  String text() throws IOException {
    require(3);
    int length = Short.toUnsignedInt(getShort(1));
    if (length > Protocol.MAX_STRING) {
      throw new ProtocolException(
          "corrupt frame: a text of " + length + " bytes exceeds " + Protocol.MAX_STRING);
    }
    require(3 + length);
    byte[] bytes = new byte[length];
    slice(3, length).get(bytes);
    seal(3 + length);
    return FrameWriter.decode(bytes);
  }

  /**
   * Reads a blob of exactly {@code length} bytes that follows {@code headerLength} bytes of the
   * current frame, then the frame's CRC over header and blob.
   */
  byte[] blob(int headerLength, int length) throws IOException {
    require(headerLength);
    crc.reset();
    crc.update(buffer.slice(frameStart, headerLength));
    byte type = buffer.get(frameStart);
    buffer.position(frameStart + headerLength);
    byte[] blob = new byte[length];
    int filled = 0;
    while (filled < length) {
      if (!buffer.hasRemaining()) {
        buffer.clear();
        fill(buffer);
        buffer.flip();
      }
      int n = Math.min(buffer.remaining(), length - filled);
      buffer.get(blob, filled, n);
      filled += n;
    }
    crc.update(blob);
    frameStart = buffer.position();
    require(Protocol.CRC_BYTES);
    int expected = buffer.getInt(frameStart);
    if ((int) crc.getValue() != expected) {
      throw new ProtocolException(
          "corrupt frame: checksum mismatch in a "
              + Protocol.describeType(type)
              + " frame on "
              + connection.name());
    }
    buffer.position(frameStart + Protocol.CRC_BYTES);
    return blob;
  }

  /** Reads exactly {@code bytes} raw bytes (for the handshake). */
  ByteBuffer raw(int bytes) throws IOException {
    require(bytes);
    ByteBuffer out = ByteBuffer.allocate(bytes);
    out.put(buffer.slice(buffer.position(), bytes));
    buffer.position(buffer.position() + bytes);
    frameStart = buffer.position();
    return out.flip();
  }
}
