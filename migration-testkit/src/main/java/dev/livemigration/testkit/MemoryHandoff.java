package dev.livemigration.testkit;

/**
 * What a {@link RealBytesCluster} saw when a migration completed: the SHA-256 digests of the
 * guest's memory on its source (as it was when the guest stopped there) and on its target, both
 * over the pages the guest has not written on the target since it started there.
 *
 * @param migrationUid the migration's uid
 * @param namespace the VMI's namespace
 * @param vmiName the VMI's name
 * @param sourceNode the node the guest left
 * @param targetNode the node the guest runs on now
 * @param postCopy whether the guest started on the target in post-copy
 * @param sourceDigest the source memory's digest, lower-case hexadecimal
 * @param targetDigest the target memory's digest, lower-case hexadecimal
 * @param pagesWrittenOnTarget pages the guest wrote on the target before the digests were taken,
 *     left out of both
 * @param pageCount the memory's pages in all
 */
public record MemoryHandoff(
    String migrationUid,
    String namespace,
    String vmiName,
    String sourceNode,
    String targetNode,
    boolean postCopy,
    String sourceDigest,
    String targetDigest,
    int pagesWrittenOnTarget,
    int pageCount) {

  /** Returns whether the target received exactly the source's memory. */
  public boolean identical() {
    return sourceDigest.equals(targetDigest);
  }
}
