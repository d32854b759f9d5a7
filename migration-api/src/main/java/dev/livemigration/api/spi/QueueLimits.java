package dev.livemigration.api.spi;

/**
 * The limits under which {@link MigrationStore#claim} starts queued migrations, counted over every
 * engine replica that shares the store.
 *
 * @param perCluster migrations that may run at once in the cluster
 * @param outboundPerNode migrations that may leave one node at once
 */
public record QueueLimits(int perCluster, int outboundPerNode) {

  /** Checks that both limits are positive. */
  public QueueLimits {
    if (perCluster < 1) {
      throw new IllegalArgumentException("perCluster must be at least 1, but was " + perCluster);
    }
    if (outboundPerNode < 1) {
      throw new IllegalArgumentException(
          "outboundPerNode must be at least 1, but was " + outboundPerNode);
    }
  }
}
