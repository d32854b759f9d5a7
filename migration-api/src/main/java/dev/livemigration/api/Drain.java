package dev.livemigration.api;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The evacuation of a node: one migration per migratable VMI, and the VMIs left behind. */
public interface Drain {

  /** The node being drained. */
  String nodeName();

  /** The migrations started for the node's migratable VMIs. */
  List<MigrationHandle> migrations();

  /** The VMIs that could not be migrated, by {@code namespace/name}, with the reason. */
  Map<String, String> skipped();

  /** Completes when every migration of the drain has ended, with their final states. */
  CompletableFuture<List<MigrationState>> completion();
}
