package dev.livemigration.core.dataplane;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.zip.CRC32C;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The data plane's wire protocol, version 1.
 *
 * <p>Each channel starts with a handshake: the source sends {@code HELLO} — magic {@code LMDP},
 * version (short), channel index and count (shorts), page size and count (ints), migration uid and
 * one-time token (each a short length and UTF-8 bytes) — and the target answers with magic,
 * version, a status byte and a reason (short length, UTF-8). Then frames follow, big-endian: a type
 * byte, a body, and a CRC32C of type and body.
 *
 * <p>Version 2 makes {@code VERIFIED} carry the sync sequence and the digest it checked (so a
 * target cannot confirm a digest it never received), and adds the outcome query: a source that lost
 * its link at or after the go-ahead opens a new connection and sends {@code QUERY} — magic {@code
 * LMDQ}, version, migration uid and token — and the agent answers with magic, version, a {@link
 * Verdict} byte, the pages lost and the page count (longs) and a reason; see {@link Verdict} and
 * docs/ARCHITECTURE.md, "The data plane's commit protocol".
 *
 * <p>Version 3 is version 2 on a compressed channel ({@code experimental.compression: zstd}): its
 * HELLO carries one more byte, the compression (1: zstd), the agent answers in version 3, and
 * everything the source sends after the handshake travels in zstd blocks ({@link ZstdFrames}). A
 * source sends version 3 only when compression is asked for, so an uncompressed migration works
 * with agents that speak only version 2; an agent that speaks only version 2 refuses a compressed
 * one, and the source says that the target must be upgraded or compression turned off.
 *
 * <p>Resuming a broken post-copy link (still version 2): a source whose link broke in post-copy
 * opens new connections and sends on each {@code RESUME} — magic {@code LMDR}, version, channel
 * index and count (shorts), the epoch (int; 0 on channel 0, the epoch the agent named on the
 * others), migration uid and resume token (each a short length and UTF-8 bytes). The resume token
 * is {@link #resumeToken}: an HMAC of the uid keyed with the one-time token, so only the
 * migration's two ends know it, it differs from the one-time token (which the agent takes once),
 * and it is good for no other migration. The agent answers like a HELLO; on channel 0 an accepted
 * reply goes on with the new epoch (int), the length of a bitmap (int, exactly {@code (pageCount +
 * 7) / 8}) and the bitmap of the pages the target has (page {@code i} is bit {@code i % 8} of byte
 * {@code i / 8}). Then the channels carry frames as before, and the source sends only the pages the
 * bitmap lacks.
 *
 * <ul>
 *   <li>source to target: {@code PAGE} (index, kind ZERO or RAW, RAW: page bytes), {@code
 *       ITERATION} (pass number), {@code SYNC} (sequence; all earlier frames of the channel are
 *       in), {@code POSTCOPY} (sync sequence, bitmap of pages still to come), {@code DIGEST} (sync
 *       sequence, SHA-256 over the CRC32C of every page as last sent), {@code GO}, {@code ABORT}
 *       (reason), {@code END};
 *   <li>target to source, on channel 0: {@code REQUEST} (page index), {@code VERIFIED} (sync
 *       sequence, digest), {@code RUNNING}, {@code SWITCHED}, {@code ERROR} (reason).
 * </ul>
 *
 * Every length and index read from the peer is checked before use, and every text from the peer is
 * made printable ({@link #printable}) before it reaches a log or a state.
 */
final class Protocol {
  static final int MAGIC = 0x4C4D4450; // "LMDP"
  static final int QUERY_MAGIC = 0x4C4D4451; // "LMDQ"
  static final int RESUME_MAGIC = 0x4C4D4452; // "LMDR"
  static final short VERSION = 2;

  /** The version of a compressed channel's HELLO: version 2's fields and a compression byte. */
  static final short VERSION_COMPRESSED = 3;

  static final byte COMPRESSION_NONE = 0;
  static final byte COMPRESSION_ZSTD = 1;
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
  static final byte ZBLOCK = 0x0A;

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
  static final int VERIFIED_BODY = 8 + DIGEST_BYTES;
  static final int CRC_BYTES = 4;
  static final int PAGE_HEADER = 1 + 4 + 1;

  private Protocol() {}

  /**
   * The handshake the source sends on each channel; {@code compression} is one of the {@code
   * COMPRESSION_} bytes, sent (as version 3) only when it is not NONE.
   */
  record Hello(
      short version,
      int channel,
      int channels,
      int pageSize,
      int pageCount,
      String uid,
      String token,
      byte compression) {
    /** A version-2 HELLO: no compression. */
    Hello(
        short version,
        int channel,
        int channels,
        int pageSize,
        int pageCount,
        String uid,
        String token) {
      this(version, channel, channels, pageSize, pageCount, uid, token, COMPRESSION_NONE);
    }
  }

  /** The handshake of a channel that resumes a broken post-copy link. */
  record Resume(int channel, int channels, int epoch, String uid, String token) {}

  static ByteBuffer encodeResume(Resume resume) {
    byte[] uid = resume.uid().getBytes(StandardCharsets.UTF_8);
    byte[] token = resume.token().getBytes(StandardCharsets.UTF_8);
    ByteBuffer out = ByteBuffer.allocate(4 + 2 + 2 + 2 + 4 + 2 + uid.length + 2 + token.length);
    out.putInt(RESUME_MAGIC).putShort(VERSION);
    out.putShort((short) resume.channel()).putShort((short) resume.channels());
    out.putInt(resume.epoch());
    out.putShort((short) uid.length).put(uid).putShort((short) token.length).put(token);
    return out.flip();
  }

  /** What follows an accepted RESUME reply on channel 0: the epoch and the target's pages. */
  static ByteBuffer encodeResumed(int epoch, byte[] present) {
    ByteBuffer out = ByteBuffer.allocate(4 + 4 + present.length);
    out.putInt(epoch).putInt(present.length).put(present);
    return out.flip();
  }

  /**
   * The token that authenticates a resumed post-copy link of migration {@code uid}: HMAC-SHA256 of
   * {@code "LMDP resume\0" + uid}, keyed with the migration's one-time token, in URL-safe base64.
   */
  static String resumeToken(String uid, String oneTimeToken) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      byte[] key = oneTimeToken.getBytes(StandardCharsets.UTF_8);
      // An empty key is not allowed; a one-time token is never empty, but a forged one may be.
      mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
      byte[] tag = mac.doFinal(("LMDP resume\0" + uid).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(tag);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("the JDK has no HmacSHA256", e);
    }
  }

  /**
   * The most bytes a frame writer buffers before it flushes, which is also the most a compressed
   * block may decompress to: 1 MiB, or two page frames if more.
   */
  static int blockLimit(int pageSize) {
    return Math.max(1 << 20, 2 * (PAGE_HEADER + pageSize + CRC_BYTES));
  }

  static ByteBuffer encodeHello(Hello hello) {
    byte[] uid = hello.uid().getBytes(StandardCharsets.UTF_8);
    byte[] token = hello.token().getBytes(StandardCharsets.UTF_8);
    boolean compressed = hello.version() >= VERSION_COMPRESSED;
    ByteBuffer out =
        ByteBuffer.allocate(
            4 + 2 + 2 + 2 + 4 + 4 + 2 + uid.length + 2 + token.length + (compressed ? 1 : 0));
    out.putInt(MAGIC).putShort(hello.version());
    out.putShort((short) hello.channel()).putShort((short) hello.channels());
    out.putInt(hello.pageSize()).putInt(hello.pageCount());
    out.putShort((short) uid.length).put(uid).putShort((short) token.length).put(token);
    if (compressed) {
      out.put(hello.compression());
    }
    return out.flip();
  }

  static ByteBuffer encodeReply(boolean accepted, String reason) {
    return encodeReply(accepted, reason, VERSION);
  }

  /** The agent's reply, in the version of the HELLO it answers. */
  static ByteBuffer encodeReply(boolean accepted, String reason, short version) {
    byte[] text = truncate(reason);
    ByteBuffer out = ByteBuffer.allocate(4 + 2 + 1 + 2 + text.length);
    out.putInt(MAGIC).putShort(version).put(accepted ? STATUS_ACCEPTED : STATUS_REFUSED);
    out.putShort((short) text.length).put(text);
    return out.flip();
  }

  /** The outcome query a source sends after losing its link at or past the go-ahead. */
  static ByteBuffer encodeQuery(String uid, String token) {
    byte[] id = uid.getBytes(StandardCharsets.UTF_8);
    byte[] secret = token.getBytes(StandardCharsets.UTF_8);
    ByteBuffer out = ByteBuffer.allocate(4 + 2 + 2 + id.length + 2 + secret.length);
    out.putInt(QUERY_MAGIC).putShort(VERSION);
    out.putShort((short) id.length).put(id).putShort((short) secret.length).put(secret);
    return out.flip();
  }

  /** The agent's answer to an outcome query. */
  static ByteBuffer encodeAnswer(Verdict verdict) {
    byte[] text = truncate(verdict.reason());
    ByteBuffer out = ByteBuffer.allocate(4 + 2 + 1 + 8 + 8 + 2 + text.length);
    out.putInt(QUERY_MAGIC).putShort(VERSION).put(verdict.kind().code);
    out.putLong(verdict.lostPages()).putLong(verdict.pageCount());
    out.putShort((short) text.length).put(text);
    return out.flip();
  }

  /**
   * Makes a peer's text safe to log and to put in a state: control characters (line breaks, tabs,
   * escape sequences), Unicode line and paragraph separators and format characters (bidirectional
   * overrides) become {@code \n}, {@code \r}, {@code \t} or {@code \\u} and four hex digits, and a
   * backslash becomes {@code \\}, so that the result is one line that cannot pose as another log
   * entry.
   */
  static String printable(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      String escaped =
          switch (c) {
            case '\\' -> "\\\\";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            default ->
                Character.isISOControl(c)
                        || c == '\u2028'
                        || c == '\u2029'
                        || Character.getType(c) == Character.FORMAT
                    ? String.format("\\u%04x", (int) c)
                    : null;
          };
      if (escaped != null && out == null) {
        out = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      if (out != null) {
        if (escaped != null) {
          out.append(escaped);
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? text : out.toString();
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
      case ZBLOCK -> "ZBLOCK";
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
