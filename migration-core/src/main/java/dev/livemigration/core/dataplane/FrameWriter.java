package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.MigratableMemory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * Writes frames of the {@link Protocol} into a buffer and the buffer to a connection, taking the
 * bytes from a {@link TokenBucket}. Not thread-safe: one writer per thread, or external locking.
 */
final class FrameWriter {
  private static final int MIN_CHUNK = 16 << 10;

  private final Connection connection;
  private final ByteBuffer buffer;
  private final ByteBuffer zeros;
  private final int zeroCrc;
  private final CRC32C crc = new CRC32C();
  private final TokenBucket bucket;
  private final BooleanSupplier stop;
  private final LongAdder wireBytes;
  private final ZstdFrames.@Nullable Deflater deflater;
  private long pagesSent;
  private long zeroPagesSent;

  FrameWriter(
      Connection connection,
      int pageSize,
      TokenBucket bucket,
      BooleanSupplier stop,
      LongAdder wireBytes) {
    this(connection, pageSize, bucket, stop, wireBytes, null);
  }

  /**
   * A writer that sends its frames in zstd blocks when {@code deflater} is given (and closes it in
   * {@link #close()}). {@code wireBytes} counts the frames' bytes before compression; the bucket
   * takes the bytes that go on the wire.
   */
  FrameWriter(
      Connection connection,
      int pageSize,
      TokenBucket bucket,
      BooleanSupplier stop,
      LongAdder wireBytes,
      ZstdFrames.@Nullable Deflater deflater) {
    this.connection = connection;
    this.deflater = deflater;
    this.buffer = ByteBuffer.allocateDirect(Protocol.blockLimit(pageSize));
    this.zeros = ByteBuffer.allocateDirect(pageSize);
    this.zeroCrc = Protocol.zeroPageCrc(pageSize);
    this.bucket = bucket;
    this.stop = stop;
    this.wireBytes = wireBytes;
  }

  Connection connection() {
    return connection;
  }

  long pagesSent() {
    return pagesSent;
  }

  long zeroPagesSent() {
    return zeroPagesSent;
  }

  /**
   * Writes page {@code index} of {@code memory} as a frame (a zero page as a flag only).
   *
   * @return the CRC32C of the page's content as sent
   */
  int page(int index, MigratableMemory memory) throws IOException {
    int pageSize = zeros.capacity();
    ensure(Protocol.PAGE_HEADER + pageSize + Protocol.CRC_BYTES);
    int start = buffer.position();
    buffer.put(Protocol.PAGE).putInt(index).put(Protocol.KIND_RAW);
    int payloadAt = buffer.position();
    memory.readPage(index, buffer);
    if (buffer.position() != payloadAt + pageSize) {
      throw new IllegalStateException(
          "readPage("
              + index
              + ") wrote "
              + (buffer.position() - payloadAt)
              + " bytes, not "
              + pageSize);
    }
    ByteBuffer payload = buffer.slice(payloadAt, pageSize);
    pagesSent++;
    crc.reset();
    int pageCrc;
    if (payload.mismatch(zeros) < 0) {
      zeroPagesSent++;
      buffer.put(start + 5, Protocol.KIND_ZERO);
      buffer.position(payloadAt);
      pageCrc = zeroCrc;
    } else {
      crc.update(payload);
      pageCrc = (int) crc.getValue();
    }
    crc.update(buffer.slice(start, Protocol.PAGE_HEADER));
    buffer.putInt((int) crc.getValue());
    return pageCrc;
  }

  /** Writes a frame of a type and one long. */
  void control(byte type, long value) throws IOException {
    ensure(1 + 8 + Protocol.CRC_BYTES);
    int start = buffer.position();
    buffer.put(type).putLong(value);
    seal(start);
  }

  /** Writes a frame of a type alone. */
  void control(byte type) throws IOException {
    ensure(1 + Protocol.CRC_BYTES);
    int start = buffer.position();
    buffer.put(type);
    seal(start);
  }

  /** Writes a page request. */
  void request(int index) throws IOException {
    ensure(1 + 4 + Protocol.CRC_BYTES);
    int start = buffer.position();
    buffer.put(Protocol.REQUEST).putInt(index);
    seal(start);
  }

  /** Writes a frame of a type and a text. */
  void text(byte type, String text) throws IOException {
    byte[] bytes = Protocol.truncate(text);
    ensure(1 + 2 + bytes.length + Protocol.CRC_BYTES);
    int start = buffer.position();
    buffer.put(type).putShort((short) bytes.length).put(bytes);
    seal(start);
  }

  /** Writes the target's confirmation of the digest it checked. */
  void verified(long sync, byte[] digest) throws IOException {
    ensure(1 + Protocol.VERIFIED_BODY + Protocol.CRC_BYTES);
    int start = buffer.position();
    buffer.put(Protocol.VERIFIED).putLong(sync).put(digest);
    seal(start);
  }

  /** Writes the final digest frame. */
  void digest(long sync, byte[] digest) throws IOException {
    ensure(1 + 8 + Protocol.DIGEST_BYTES + Protocol.CRC_BYTES);
    int start = buffer.position();
    buffer.put(Protocol.DIGEST).putLong(sync).put(digest);
    seal(start);
  }

  /** Writes the switch to post-copy with the bitmap of pages the target must not keep. */
  void postCopy(long sync, byte[] bitmap) throws IOException {
    ensure(1 + 8 + 4 + Protocol.CRC_BYTES);
    flush();
    crc.reset();
    ByteBuffer header = ByteBuffer.allocate(1 + 8 + 4);
    header.put(Protocol.POSTCOPY).putLong(sync).putInt(bitmap.length).flip();
    crc.update(header.duplicate());
    crc.update(bitmap);
    ByteBuffer trailer = ByteBuffer.allocate(Protocol.CRC_BYTES).putInt((int) crc.getValue());
    writeDirect(header);
    writeDirect(ByteBuffer.wrap(bitmap));
    writeDirect(trailer.flip());
  }

  private void writeDirect(ByteBuffer bytes) throws IOException {
    if (deflater != null) {
      while (bytes.hasRemaining()) {
        int n = Math.min(bytes.remaining(), deflater.limit());
        ByteBuffer block = bytes.slice(bytes.position(), n);
        bytes.position(bytes.position() + n);
        ByteBuffer wire = deflater.deflate(block);
        bucket.acquire(wire.remaining(), stop);
        connection.write(wire);
        wireBytes.add(n);
      }
      return;
    }
    int n = bytes.remaining();
    bucket.acquire(n, stop);
    connection.write(bytes);
    wireBytes.add(n);
  }

  private void seal(int start) {
    crc.reset();
    crc.update(buffer.slice(start, buffer.position() - start));
    buffer.putInt((int) crc.getValue());
  }

  private void ensure(int bytes) throws IOException {
    int chunk = bucket.chunk(buffer.capacity(), MIN_CHUNK);
    if (buffer.remaining() < bytes || buffer.position() >= chunk) {
      flush();
    }
  }

  /** Sends what is buffered (as one zstd block on a compressed channel). */
  void flush() throws IOException {
    buffer.flip();
    int n = buffer.remaining();
    if (n > 0) {
      if (deflater != null) {
        ByteBuffer wire = deflater.deflate(buffer);
        bucket.acquire(wire.remaining(), stop);
        connection.write(wire);
      } else {
        bucket.acquire(n, stop);
        connection.write(buffer);
      }
      wireBytes.add(n);
    }
    buffer.clear();
  }

  /** Releases the compressor, if any. Idempotent; call once no thread writes any more. */
  void close() {
    if (deflater != null) {
      deflater.close();
    }
  }

  /** Decodes a peer's text and makes it printable. */
  static String decode(byte[] bytes) {
    return Protocol.printable(new String(bytes, StandardCharsets.UTF_8));
  }
}
