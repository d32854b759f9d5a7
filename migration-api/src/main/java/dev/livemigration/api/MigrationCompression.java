package dev.livemigration.api;

/** How migration data is compressed: KubeVirt's {@code experimental.compression}. */
public enum MigrationCompression {
  /** Not compressed (KubeVirt's default, and ours). */
  NONE,
  /** Compressed with zstd. */
  ZSTD
}
