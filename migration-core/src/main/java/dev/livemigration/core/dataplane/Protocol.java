package dev.livemigration.core.dataplane;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.zip.CRC32C;

/**
 * The data plane's wire protocol, version 1.
 *
 * <p>Each channel starts with a handshake: the source sends {@code HELLO} — magic {@code LMDP},
 * version (short), channel index and count (shorts), page size and count (ints), migration uid and
 * one-time token (each a short length and UTF-8 bytes) — and the target answers with magic,
 * version, a status byte and a reason (short length, UTF-8). Then frames follow, big-endian: a type
 * byte, a body, and a CRC32C of type and body.
 *
 * <ul>
 *   <li>source to target: {@code PAGE} (index, kind ZERO or RAW, RAW: page bytes), {@code
 *       ITERATION} (pass number), {@code SYNC} (sequence; all earlier frames of the channel are
 *       in), {@code POSTCOPY} (sync sequence, bitmap of pages still to come), {@code DIGEST} (sync
 *       sequence, SHA-256 over the CRC32C of every page as last sent), {@code GO}, {@code ABORT}
 *       (reason), {@code END};
 *   <li>target to source, on channel 0: {@code REQUEST} (page index), {@code VERIFIED}, {@code
 *       RUNNING}, {@code SWITCHED}, {@code ERROR} (reason).
 * </ul>
 *
 * Every length and index read from the peer is checked before use.
 */
final class Protocol {
  static final int MAGIC = 0x4C4D4450; // "LMDP"
  static final short VERSION = 1;
  static final int MAX_STRING = 1024;
  static final int MAX_ID = 256;
  static final int MAX_CHANNELS = 64;

  static final byte PAGE = 0x01;
  static final byte ITERATION = 0x02;
  static final byte SYNC = 0x03;
  static final byte POSTCOPY = 0x04;
  static final byte DIGEST = 0x05;
  static final byte GO = 0x06;
  static final byte ABORT = 0x07;
  static final byte END = 0x09;

  static final byte REQUEST = 0x41;
  static final byte VERIFIED = 0x42;
  static final byte RUNNING = 0x43;
  static final byte ERROR = 0x44;
  static final byte SWITCHED = 0x45;

  static final byte KIND_ZERO = 0;
  static final byte KIND_RAW = 1;

  static final byte STATUS_ACCEPTED = 0;
  static final byte STATUS_REFUSED = 1;

  static final int DIGEST_BYTES = 32;
  static final int CRC_BYTES = 4;
  static final int PAGE_HEADER = 1 + 4 + 1;

  private Protocol() {}

  /** The handshake the source sends on each channel. */
  record Hello(
      short version,
      int channel,
      int channels,
      int pageSize,
      int pageCount,
      String uid,
      String token) {}

  static ByteBuffer encodeHello(Hello hello) {
    byte[] uid = hello.uid().getBytes(StandardCharsets.UTF_8);
    byte[] token = hello.token().getBytes(StandardCharsets.UTF_8);
    ByteBuffer out = ByteBuffer.allocate(4 + 2 + 2 + 2 + 4 + 4 + 2 + uid.length + 2 + token.length);
    out.putInt(MAGIC).putShort(hello.version());
    out.putShort((short) hello.channel()).putShort((short) hello.channels());
    out.putInt(hello.pageSize()).putInt(hello.pageCount());
    out.putShort((short) uid.length).put(uid).putShort((short) token.length).put(token);
    return out.flip();
  }

  static ByteBuffer encodeReply(boolean accepted, String reason) {
    byte[] text = truncate(reason);
    ByteBuffer out = ByteBuffer.allocate(4 + 2 + 1 + 2 + text.length);
    out.putInt(MAGIC).putShort(VERSION).put(accepted ? STATUS_ACCEPTED : STATUS_REFUSED);
    out.putShort((short) text.length).put(text);
    return out.flip();
  }

  static byte[] truncate(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_STRING) {
      return bytes;
    }
    byte[] cut = new byte[MAX_STRING];
    System.arraycopy(bytes, 0, cut, 0, MAX_STRING);
    return cut;
  }

  static String describeType(byte type) {
    return switch (type) {
      case PAGE -> "PAGE";
      case ITERATION -> "ITERATION";
      case SYNC -> "SYNC";
      case POSTCOPY -> "POSTCOPY";
      case DIGEST -> "DIGEST";
      case GO -> "GO";
      case ABORT -> "ABORT";
      case END -> "END";
      case REQUEST -> "REQUEST";
      case VERIFIED -> "VERIFIED";
      case RUNNING -> "RUNNING";
      case ERROR -> "ERROR";
      case SWITCHED -> "SWITCHED";
      default -> String.format("0x%02x", type);
    };
  }

  /** The CRC32C of a page of zeros of this size. */
  static int zeroPageCrc(int pageSize) {
    CRC32C crc = new CRC32C();
    crc.update(new byte[pageSize]);
    return (int) crc.getValue();
  }

  /** The digest of a memory's state: SHA-256 over each page's CRC32C, in page order. */
  static byte[] digest(int[] pageCrcs) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      ByteBuffer bytes = ByteBuffer.allocate(64 << 10);
      for (int crc : pageCrcs) {
        if (!bytes.hasRemaining()) {
          sha.update(bytes.flip());
          bytes.clear();
        }
        bytes.putInt(crc);
      }
      sha.update(bytes.flip());
      return sha.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
