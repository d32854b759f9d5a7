package dev.livemigration.core.dataplane;

import org.jspecify.annotations.Nullable;

/**
 * Checks a channel's handshake against the {@link IncomingMigration} it names: the memory's shape,
 * whether this target can decompress what the source will send, and that every channel agrees with
 * the first.
 */
final class ChannelAdmission {
  private ChannelAdmission() {}

  /** Why the channel cannot carry memory of this shape, or null. */
  static @Nullable String refusal(Protocol.Hello hello, int pageSize, int pageCount) {
    if (hello.pageSize() != pageSize || hello.pageCount() != pageCount) {
      return "memory of "
          + hello.pageCount()
          + " pages of "
          + hello.pageSize()
          + " bytes was offered, but "
          + pageCount
          + " pages of "
          + pageSize
          + " bytes are expected";
    }
    if (hello.compression() == Protocol.COMPRESSION_ZSTD) {
      String unavailable = ZstdFrames.unavailable();
      if (unavailable != null) {
        return "this target cannot decompress: " + unavailable;
      }
    }
    return null;
  }

  /** How the channel differs from the migration's first channel, or null. */
  static @Nullable String mismatch(Protocol.Hello hello, int channels, byte compression) {
    if (hello.channels() != channels) {
      return "channel count " + hello.channels() + " differs from the first channel's " + channels;
    }
    if (hello.compression() != compression) {
      return "compression "
          + hello.compression()
          + " differs from the first channel's "
          + compression;
    }
    return null;
  }
}
