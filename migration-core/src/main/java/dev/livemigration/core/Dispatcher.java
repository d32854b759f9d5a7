package dev.livemigration.core;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Node;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.Adoption;
import dev.livemigration.api.spi.FencedException;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.QueueLimits;
import dev.livemigration.api.spi.StoreException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves migrations between the store's queue and this replica's drivers: claims queued ones under
 * the limits, ends them, and (with a shared store) keeps the lease, adopts the migrations of
 * replicas that stopped and notices slots freed elsewhere.
 *
 * <p>Its lock orders the ends and the starts that this replica publishes: a migration's end is
 * written and published under it, and claims are taken under it, so that a migration that takes a
 * freed slot is never published as scheduled before the end of the one that freed it.
 */
final class Dispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

  /** Migrations taken from the store in one step. */
  static final int BATCH = 64;

  private final DefaultMigrationEngine engine;

  // Guarded by this: migrations this replica sends to each target, for the target selector.
  private final Map<String, Integer> incoming = new HashMap<>();

  Dispatcher(DefaultMigrationEngine engine) {
    this.engine = engine;
  }

  /** Starts as many queued migrations as the limits allow, in queue order. */
  void dispatch() {
    List<TrackedMigration> started = new ArrayList<>();
    boolean full;
    synchronized (this) {
      MigrationConfiguration limits = engine.configuration();
      List<MigrationRecord> claimed;
      try {
        claimed =
            engine.store.claim(
                engine.membership.lease(),
                new QueueLimits(
                    limits.parallelMigrationsPerCluster(),
                    limits.parallelOutboundMigrationsPerNode()),
                BATCH);
      } catch (StoreException e) {
        LOG.warn("Could not take queued migrations from the store: {}", e.getMessage());
        return;
      }
      full = claimed.size() == BATCH;
      for (MigrationRecord record : claimed) {
        TrackedMigration m = engine.track(record);
        if (record.phase() == MigrationPhase.PENDING) {
          synchronized (m) {
            try {
              engine.driver.endings.finishAborted(m);
            } catch (FencedException e) {
              engine.driver.endings.lose(m, e);
            }
          }
        } else {
          started.add(m);
        }
      }
    }
    for (TrackedMigration m : started) {
      engine.scheduler.execute(() -> engine.driver.prepare(m));
    }
    if (full) {
      engine.scheduler.execute(this::dispatch);
    }
  }

  Node chooseTarget(TrackedMigration m, Node source) {
    String drainKey = m.configuration.nodeDrainTaintKey();
    Map<String, String> added = m.request.addedNodeSelector();
    List<Node> schedulable =
        engine.inventory.nodes().stream()
            .filter(
                n -> n.schedulable() && !n.name().equals(source.name()) && !n.hasTaint(drainKey))
            .toList();
    List<Node> candidates =
        schedulable.stream()
            .filter(n -> n.labels().entrySet().containsAll(added.entrySet()))
            .toList();
    if (!added.isEmpty()) {
      int before = schedulable.size();
      if (candidates.isEmpty()) {
        throw new IllegalStateException(
            "no node can take the VMI: none of the "
                + before
                + " schedulable node(s) without the "
                + drainKey
                + " taint besides "
                + source.name()
                + " carries the labels of spec.addedNodeSelector "
                + added);
      }
    }
    Map<String, Integer> load = new HashMap<>(engine.inventory.vmiCountsByNode());
    synchronized (this) {
      incoming.forEach((node, count) -> load.merge(node, count, Integer::sum));
    }
    Node target =
        engine
            .targetSelector
            .select(m.vmi, candidates, Collections.unmodifiableMap(load))
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no node can take the VMI: "
                            + candidates.size()
                            + " schedulable node(s) without the "
                            + drainKey
                            + " taint besides "
                            + source.name()));
    synchronized (this) {
      m.targetNode = target.name();
      incoming.merge(target.name(), 1, Integer::sum);
    }
    return target;
  }

  /** Writes the migration's end, publishes it, then completes its handles' futures. */
  MigrationState end(TrackedMigration m, UnaryOperator<MigrationState.Builder> ending) {
    MigrationState last;
    synchronized (this) {
      Instant now = engine.scheduler.now();
      last = m.update(s -> ending.apply(s.endTimestamp(now)));
      if (m.targetNode != null) {
        incoming.merge(m.targetNode, -1, Integer::sum);
        incoming.remove(m.targetNode, 0);
        m.targetNode = null;
      }
      engine.forget(m);
      engine.publisher.publish(
          last.failed()
              ? new MigrationEvent.Failed(
                  m.uid(), m.request, now, last, engine.membership.replica())
              : new MigrationEvent.Succeeded(
                  m.uid(), m.request, now, last, engine.membership.replica()));
    }
    engine.completions.complete(last);
    return last;
  }

  /**
   * Every third of the lease, on a task of its own so that a claim stuck behind a lock can never
   * keep the lease from being renewed: renew (a lost lease drops every migration of the old one)
   * and adopt the migrations whose owner stopped.
   */
  void keepLease() {
    try {
      if (!engine.membership.renew()) {
        engine.dropAll();
      }
      for (Adoption adoption : engine.store.adopt(engine.membership.lease(), BATCH)) {
        engine.scheduler.execute(
            () -> engine.driver.adopt(adoption.record(), adoption.previousOwner()));
      }
    } catch (StoreException e) {
      LOG.warn("Renewing the lease in the {} store failed: {}", engine.store.id(), e.getMessage());
    }
  }

  /**
   * Every sample interval: take queued migrations for slots freed elsewhere and complete the
   * futures of migrations that other replicas ended.
   */
  void housekeep() {
    try {
      dispatch();
      if (engine.completions.anyWaiting()) {
        engine.completions.poll();
      }
    } catch (StoreException e) {
      LOG.warn("Housekeeping with the {} store failed: {}", engine.store.id(), e.getMessage());
    }
  }
}
