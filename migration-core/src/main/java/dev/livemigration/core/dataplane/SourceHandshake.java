package dev.livemigration.core.dataplane;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/** The source's side of a channel's handshake (see {@link Protocol}): HELLO out, the reply in. */
final class SourceHandshake {
  private static final int REPLY_FIXED = 4 + 2 + 1 + 2;

  private static final byte TLS_ALERT_RECORD = 0x15;

  private SourceHandshake() {}

  private static TransferFailedException expectsTls(
      InetSocketAddress target, @Nullable Throwable cause) {
    String reason =
        "the peer at "
            + target
            + " answered with a TLS alert: it expects TLS (transport tls), but this source uses"
            + " plain TCP";
    return cause == null
        ? new TransferFailedException(reason)
        : new TransferFailedException(reason, cause);
  }

  /**
   * Sends {@code hello} and reads the target's reply.
   *
   * @throws TransferFailedException if the target refused the migration, or is no target agent
   */
  static void run(Connection connection, Protocol.Hello hello, InetSocketAddress target)
      throws IOException {
    ByteBuffer fixed = ByteBuffer.allocate(REPLY_FIXED);
    try {
      connection.write(Protocol.encodeHello(hello));
    } catch (IOException writeFailure) {
      // A peer that refused us (a TLS alert, a refusal) may have said why before closing.
      try {
        connection.readFully(fixed, true);
      } catch (IOException readFailure) {
        if (readFailure instanceof SSLException) {
          throw readFailure;
        }
      }
      throw writeFailure;
    }
    try {
      connection.readFully(fixed, true);
    } catch (EOFException e) {
      if (fixed.position() > 0 && fixed.get(0) == TLS_ALERT_RECORD) {
        throw expectsTls(target, e);
      }
      if (fixed.position() == 0) {
        throw new TransferFailedException(
            "the peer at "
                + target
                + " closed the connection without answering the handshake: it may expect TLS"
                + " (transport tls) while this source uses plain TCP, or it turned the"
                + " connection away (too many connections at once)",
            e);
      }
      throw e;
    } catch (SSLException e) {
      if (String.valueOf(e.getMessage()).contains("nrecognized SSL message")) {
        throw new TransferFailedException(
            "the peer at " + target + " does not speak TLS: it may use plain TCP (transport tcp)",
            e);
      }
      throw e;
    }
    fixed.flip();
    int magic = fixed.getInt();
    short version = fixed.getShort();
    byte status = fixed.get();
    int length = Short.toUnsignedInt(fixed.getShort());
    if (magic != Protocol.MAGIC && fixed.get(0) == TLS_ALERT_RECORD) {
      throw expectsTls(target, null);
    }
    if (magic != Protocol.MAGIC) {
      throw new TransferFailedException(
          "the peer at " + target + " is not a live-migration target agent (bad magic)");
    }
    if (length > Protocol.MAX_STRING) {
      throw new TransferFailedException(
          "the target's handshake reply is corrupt: reason of " + length + " bytes");
    }
    ByteBuffer reason = ByteBuffer.allocate(length);
    connection.readFully(reason, true);
    String text = FrameWriter.decode(reason.array());
    if (status != Protocol.STATUS_ACCEPTED) {
      if (hello.version() == Protocol.VERSION_COMPRESSED
          && text.startsWith("unsupported protocol version")) {
        throw new TransferFailedException(
            "the target refused the migration: "
                + text
                + "; compression (experimental.compression: zstd) needs a target agent that speaks"
                + " protocol version "
                + Protocol.VERSION_COMPRESSED
                + ": upgrade the target or turn compression off");
      }
      throw new TransferFailedException("the target refused the migration: " + text);
    }
    if (version != hello.version()) {
      throw new TransferFailedException(
          "the target speaks protocol version " + version + ", not " + hello.version());
    }
  }

  /**
   * Sends a RESUME and reads the agent's reply (the epoch and bitmap that follow on channel 0 are
   * the caller's to read).
   *
   * @throws LinkRecovery.Refused if the agent refused; {@link LinkRecovery.Refused#retry()} says
   *     whether a later attempt may succeed
   */
  static void resume(Connection connection, Protocol.Resume resume, InetSocketAddress target)
      throws IOException {
    connection.write(Protocol.encodeResume(resume));
    ByteBuffer fixed = ByteBuffer.allocate(REPLY_FIXED);
    connection.readFully(fixed, true);
    fixed.flip();
    int magic = fixed.getInt();
    fixed.getShort();
    byte status = fixed.get();
    int length = Short.toUnsignedInt(fixed.getShort());
    if (magic != Protocol.MAGIC) {
      throw new ProtocolException(
          "the peer at " + target + " is not a live-migration target agent (bad magic)");
    }
    if (length > Protocol.MAX_STRING) {
      throw new ProtocolException(
          "the target's resume reply is corrupt: reason of " + length + " bytes");
    }
    ByteBuffer reason = ByteBuffer.allocate(length);
    connection.readFully(reason, true);
    String text = FrameWriter.decode(reason.array());
    if (status != Protocol.STATUS_ACCEPTED) {
      throw new LinkRecovery.Refused(
          "the target refused to resume: " + text, text.startsWith("busy:"));
    }
  }
}
