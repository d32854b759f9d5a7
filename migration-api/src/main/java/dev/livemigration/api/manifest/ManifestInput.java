package dev.livemigration.api.manifest;

import dev.livemigration.api.manifest.ManifestException.Problem;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Reads the text of a manifest from a file or a reader. What is wrong with the input itself (no
 * such file, not UTF-8) is a {@link ManifestException} in words; only a failure of the device or
 * the reader is an {@link UncheckedIOException}.
 */
final class ManifestInput {
  private ManifestInput() {}

  /**
   * Returns the text of a UTF-8 file.
   *
   * @throws ManifestException if the file does not exist, cannot be opened, is too long or is not
   *     UTF-8
   * @throws UncheckedIOException if reading it fails
   */
  static String readFile(Path file) {
    Objects.requireNonNull(file, "file");
    String source = file.toString();
    byte[] bytes;
    try {
      if (Files.isDirectory(file)) {
        throw single(source, "the file is a directory but it must be a manifest file");
      }
      long size = Files.size(file);
      if (size > TreeParser.MAX_CHARS) {
        throw TreeParser.tooLong(size + " bytes", source);
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw single(source, "there is no such file");
    } catch (AccessDeniedException e) {
      throw single(source, "the file cannot be read: permission denied");
    } catch (FileSystemException e) {
      String reason = e.getReason();
      throw single(
          source,
          "the file cannot be read"
              + (reason == null ? "" : ": " + reason.toLowerCase(Locale.ROOT)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read manifest " + file + ": " + describe(e), e);
    }
    if (bytes.length > TreeParser.MAX_CHARS) {
      throw TreeParser.tooLong(bytes.length + " bytes", source);
    }
    return utf8(bytes, source);
  }

  /**
   * Returns the text of {@code reader}, read to its end but not closed.
   *
   * @throws ManifestException if the text is too long or cannot be decoded
   * @throws UncheckedIOException if the reader fails
   */
  static String readFully(Reader reader) {
    Objects.requireNonNull(reader, "reader");
    StringBuilder text = new StringBuilder();
    char[] buffer = new char[8192];
    try {
      for (int n = reader.read(buffer); n != -1; n = reader.read(buffer)) {
        text.append(buffer, 0, n);
        if (text.length() > TreeParser.MAX_CHARS) {
          throw TreeParser.tooLong("more than " + TreeParser.MAX_CHARS + " characters", null);
        }
      }
    } catch (CharacterCodingException e) {
      throw single(
          null,
          "the text is not valid in the reader's character set after "
              + text.length()
              + " characters; a manifest must be UTF-8");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read manifest: " + describe(e), e);
    }
    return text.toString();
  }

  /** Decodes {@code bytes} as UTF-8; a byte that is not UTF-8 is a problem with its place. */
  static String utf8(byte[] bytes, @Nullable String source) {
    if (bytes.length >= 2
        && (bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xFE
            || bytes[0] == (byte) 0xFE && bytes[1] == (byte) 0xFF)) {
      throw single(
          source,
          "the file is UTF-16 (it starts with a UTF-16 byte order mark) but it must be UTF-8");
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length + 1);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      throw single(source, notUtf8(bytes, in.position(), out.flip()));
    }
    return out.flip().toString();
  }

  /** Phrases a byte that is not UTF-8: its number, line and column, and what the file may be. */
  private static String notUtf8(byte[] bytes, int offset, CharSequence decoded) {
    int line = 1;
    int column = 1;
    boolean nul = false;
    for (int i = 0; i < decoded.length(); i++) {
      char c = decoded.charAt(i);
      nul |= c == '\0';
      if (c == '\n') {
        line++;
        column = 1;
      } else if (!Character.isLowSurrogate(c)) {
        column++;
      }
    }
    return String.format(
        Locale.ROOT,
        "the file is not UTF-8 at byte %d (line %d, column %d): the byte 0x%02X cannot be read as"
            + " UTF-8; it may be %s, but a manifest must be UTF-8",
        offset + 1,
        line,
        column,
        bytes[offset] & 0xFF,
        nul ? "UTF-16 (it has NUL bytes)" : "Latin-1 or another encoding");
  }

  private static ManifestException single(@Nullable String source, String message) {
    return new ManifestException(source, List.of(new Problem("", null, message)));
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message;
  }
}
