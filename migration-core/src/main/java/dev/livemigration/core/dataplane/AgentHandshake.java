package dev.livemigration.core.dataplane;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads what an unauthenticated peer sends a {@link TargetAgent} first: a channel's {@code HELLO}
 * or an outcome {@code QUERY} (see {@link Protocol}), checking every length before use.
 */
final class AgentHandshake {
  private static final int HELLO_FIXED = 2 + 2 + 4 + 4 + 2;
  private static final byte TLS_HANDSHAKE_RECORD = 0x16;

  private AgentHandshake() {}

  /** What a peer asked for. */
  sealed interface Request permits Hello, Query, Resume {}

  /** A channel of a migration. */
  record Hello(Protocol.Hello hello) implements Request {}

  /** An outcome query. */
  record Query(String uid, String token) implements Request {}

  /** A channel that resumes a broken post-copy link. */
  record Resume(Protocol.Resume resume) implements Request {}

  static Request read(Connection connection) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(4 + 2);
    connection.readFully(head, true);
    head.flip();
    int magic = head.getInt();
    short version = head.getShort();
    if (magic != Protocol.MAGIC
        && magic != Protocol.QUERY_MAGIC
        && magic != Protocol.RESUME_MAGIC) {
      if ((byte) (magic >>> 24) == TLS_HANDSHAKE_RECORD) {
        throw new ProtocolException(
            "a TLS client reached this agent, which uses plain TCP (transport tcp): use the same"
                + " transport on both sides");
      }
      throw new ProtocolException(
          "not a live-migration data-plane connection (bad magic 0x"
              + Integer.toHexString(magic)
              + ")");
    }
    boolean supported =
        version == Protocol.VERSION
            || (magic == Protocol.MAGIC && version == Protocol.VERSION_COMPRESSED);
    if (!supported) {
      throw new ProtocolException(
          "unsupported protocol version "
              + version
              + "; this agent speaks "
              + Protocol.VERSION
              + " (and "
              + Protocol.VERSION_COMPRESSED
              + " for compressed channels)");
    }
    if (magic == Protocol.RESUME_MAGIC) {
      return readResume(connection);
    }
    return magic == Protocol.QUERY_MAGIC ? readQuery(connection) : readHello(connection, version);
  }

  private static Request readHello(Connection connection, short version) throws IOException {
    ByteBuffer fixed = ByteBuffer.allocate(HELLO_FIXED);
    connection.readFully(fixed, true);
    fixed.flip();
    int channel = Short.toUnsignedInt(fixed.getShort());
    int channels = Short.toUnsignedInt(fixed.getShort());
    int pageSize = fixed.getInt();
    int pageCount = fixed.getInt();
    if (channels < 1 || channels > Protocol.MAX_CHANNELS || channel >= channels) {
      throw new ProtocolException(
          "channel " + channel + " of " + channels + " is not a valid channel");
    }
    String uid = readId(connection, Short.toUnsignedInt(fixed.getShort()), "uid", 1);
    String token = readToken(connection);
    byte compression = Protocol.COMPRESSION_NONE;
    if (version == Protocol.VERSION_COMPRESSED) {
      ByteBuffer codec = ByteBuffer.allocate(1);
      connection.readFully(codec, true);
      compression = codec.get(0);
      if (compression != Protocol.COMPRESSION_NONE && compression != Protocol.COMPRESSION_ZSTD) {
        throw new ProtocolException(
            "unknown compression " + compression + "; this agent knows none (0) and zstd (1)");
      }
    }
    return new Hello(
        new Protocol.Hello(
            version, channel, channels, pageSize, pageCount, uid, token, compression));
  }

  private static Request readResume(Connection connection) throws IOException {
    ByteBuffer fixed = ByteBuffer.allocate(2 + 2 + 4 + 2);
    connection.readFully(fixed, true);
    fixed.flip();
    int channel = Short.toUnsignedInt(fixed.getShort());
    int channels = Short.toUnsignedInt(fixed.getShort());
    int epoch = fixed.getInt();
    if (channels < 1 || channels > Protocol.MAX_CHANNELS || channel >= channels || epoch < 0) {
      throw new ProtocolException(
          "channel "
              + channel
              + " of "
              + channels
              + " (epoch "
              + epoch
              + ") is not a valid channel");
    }
    String uid = readId(connection, Short.toUnsignedInt(fixed.getShort()), "uid", 1);
    return new Resume(new Protocol.Resume(channel, channels, epoch, uid, readToken(connection)));
  }

  private static Request readQuery(Connection connection) throws IOException {
    ByteBuffer length = ByteBuffer.allocate(2);
    connection.readFully(length, true);
    String uid = readId(connection, Short.toUnsignedInt(length.flip().getShort()), "uid", 1);
    return new Query(uid, readToken(connection));
  }

  private static String readToken(Connection connection) throws IOException {
    ByteBuffer length = ByteBuffer.allocate(2);
    connection.readFully(length, true);
    return readId(connection, Short.toUnsignedInt(length.flip().getShort()), "token", 0);
  }

  private static String readId(Connection connection, int length, String what, int min)
      throws IOException {
    if (length < min || length > Protocol.MAX_ID) {
      throw new ProtocolException(what + " of " + length + " bytes is not valid");
    }
    ByteBuffer bytes = ByteBuffer.allocate(length);
    connection.readFully(bytes, true);
    return new String(bytes.array(), StandardCharsets.UTF_8);
  }
}
