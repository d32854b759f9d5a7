package dev.livemigration.core.dataplane;

import dev.livemigration.api.spi.ReceivingMemory;
import java.security.MessageDigest;

/**
 * Checks what an {@link IncomingMigration} received against the source's digest: every page
 * arrived, and the digest of their checksums matches.
 */
final class IntegrityCheck {
  private IntegrityCheck() {}

  /**
   * Throws why the received memory is not the source's.
   *
   * @param receivedCrc the checksum of each page received
   */
  static void verify(ReceivingMemory memory, int pageCount, int[] receivedCrc, byte[] digest)
      throws TransferFailedException {
    int missing = missingPages(memory, pageCount);
    if (missing > 0) {
      throw new TransferFailedException(
          "integrity check failed: " + missing + " of " + pageCount + " pages never arrived");
    }
    if (!MessageDigest.isEqual(digest, Protocol.digest(receivedCrc))) {
      throw new TransferFailedException(
          "integrity check failed: the digest of the received pages differs from the source's");
    }
  }

  /** How many of the memory's pages are not present. */
  static int missingPages(ReceivingMemory memory, int pageCount) {
    int missing = 0;
    for (int index = 0; index < pageCount; index++) {
      if (!memory.isPresent(index)) {
        missing++;
      }
    }
    return missing;
  }
}
