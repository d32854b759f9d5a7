package dev.livemigration.core;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.Condition;
import dev.livemigration.api.Directive;
import dev.livemigration.api.Drain;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationRejectedException.Reason;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Node;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.api.spi.ClusterInventory;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.PolicySource;
import dev.livemigration.api.spi.StrategyInput;
import dev.livemigration.api.spi.TargetEndpoint;
import dev.livemigration.api.spi.TargetSelector;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine: admission, policy resolution, a FIFO queue under the cluster and per-node limits, and
 * one monitor loop per running migration that samples the backend, enforces the timeouts and
 * applies the strategy's directives.
 *
 * <p>Locking: the engine's monitor guards the queue, the limits and the indexes; each {@link
 * TrackedMigration}'s monitor guards its session. A thread may take the engine's monitor while
 * holding a migration's, never the other way round.
 */
final class DefaultMigrationEngine implements MigrationEngine {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultMigrationEngine.class);
  static final int RETAINED_FINISHED = 10_000;

  private final HypervisorBackend backend;
  private final ClusterInventory inventory;
  private final PolicySource policies;
  private final MigrationStrategy strategy;
  private final TargetSelector targetSelector;
  private final Scheduler scheduler;
  private final boolean ownsScheduler;
  private final List<MigrationListener> listeners;
  private final Duration sampleInterval;
  private volatile MigrationConfiguration configuration;

  // Guarded by this.
  private final LinkedHashMap<String, TrackedMigration> byUid = new LinkedHashMap<>();
  private final Map<String, TrackedMigration> byName = new HashMap<>();
  private final Map<String, TrackedMigration> activeByVmi = new HashMap<>();
  private final Map<String, TrackedMigration> latestByVmi = new HashMap<>();
  private final ArrayDeque<TrackedMigration> queue = new ArrayDeque<>();
  private final Map<String, Integer> outbound = new HashMap<>();
  private final Map<String, Integer> incoming = new HashMap<>();
  private int running;
  private int finished;
  private boolean closed;

  DefaultMigrationEngine(MigrationEngines.Builder builder) {
    this.configuration = builder.configuration;
    this.backend = builder.backend;
    this.inventory = builder.inventory;
    this.policies = builder.policies;
    this.strategy = builder.strategy;
    this.targetSelector = builder.targetSelector;
    this.ownsScheduler = builder.scheduler == null;
    this.scheduler = ownsScheduler ? Scheduler.system(4) : builder.scheduler;
    this.listeners = List.copyOf(builder.listeners);
    this.sampleInterval = builder.sampleInterval;
  }

  static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  // ---------------------------------------------------------------- admission

  @Override
  public MigrationHandle migrate(VirtualMachineInstanceMigration request) {
    Objects.requireNonNull(request, "request");
    String vmiKey = key(request.namespace(), request.vmiName());
    // The inventory, the backend and the policy source may be slow: ask them before locking.
    VirtualMachineInstance vmi =
        inventory
            .find(request.namespace(), request.vmiName())
            .orElseThrow(
                () ->
                    new MigrationRejectedException(
                        Reason.VMI_NOT_FOUND, "VMI " + vmiKey + " is not running in the cluster"));
    Condition condition = liveMigratable(vmi);
    if (!condition.isTrue()) {
      throw new MigrationRejectedException(
          Reason.NOT_LIVE_MIGRATABLE,
          "VMI "
              + vmiKey
              + " is not live-migratable ("
              + condition.reason().orElse("")
              + "): "
              + condition.message().orElse(""));
    }
    TrackedMigration migration = admit(request, vmi);
    synchronized (this) {
      if (closed) {
        throw new MigrationRejectedException(Reason.ENGINE_CLOSED, "the engine is closed");
      }
      String name = key(request.namespace(), request.name());
      TrackedMigration existing = byName.get(name);
      if (existing != null && !existing.isTerminal()) {
        throw new MigrationRejectedException(
            Reason.DUPLICATE_NAME,
            "migration " + name + " is already in progress (" + existing.uid() + ")");
      }
      TrackedMigration active = activeByVmi.get(vmiKey);
      if (active != null) {
        throw new MigrationRejectedException(
            Reason.ALREADY_MIGRATING,
            "VMI " + vmiKey + " is already migrating in " + active.request.name());
      }
      byUid.put(migration.uid(), migration);
      byName.put(name, migration);
      activeByVmi.put(vmiKey, migration);
      latestByVmi.put(vmiKey, migration);
      queue.addLast(migration);
      forgetOldFinished();
      // Published before the lock is released, so that no other thread can start, cancel or end
      // the migration (and publish its later events) first.
      publish(new MigrationEvent.Queued(migration.uid(), request, scheduler.now()));
    }
    LOG.info("Queued migration {} of VMI {}", migration, migration.vmi.name());
    scheduler.execute(this::dispatch);
    return migration;
  }

  private Condition liveMigratable(VirtualMachineInstance vmi) {
    Condition ours = Admission.liveMigratable(vmi);
    return ours.isTrue() ? backend.checkMigratable(vmi).orElse(ours) : ours;
  }

  private TrackedMigration admit(
      VirtualMachineInstanceMigration request, VirtualMachineInstance vmi) {
    MigrationConfiguration cluster = configuration;
    Optional<MigrationPolicy> policy =
        PolicyResolver.resolve(
            policies.policies(), inventory.namespaceLabels(vmi.namespace()), vmi.labels());
    MigrationConfiguration effective = policy.map(p -> p.applyTo(cluster)).orElse(cluster);
    MigrationState.Builder initial =
        MigrationState.builder()
            .migrationUid(UUID.randomUUID().toString())
            .phase(MigrationPhase.PENDING)
            .migrationConfig(effective)
            .sourceNode(vmi.nodeName());
    policy.ifPresent(p -> initial.migrationPolicyName(p.name()));
    return new TrackedMigration(
        this, request, vmi, Admission.method(vmi), effective, initial.build());
  }

  private void forgetOldFinished() {
    Iterator<TrackedMigration> oldest = byUid.values().iterator();
    while (finished > RETAINED_FINISHED && oldest.hasNext()) {
      TrackedMigration candidate = oldest.next();
      if (candidate.isTerminal()) {
        oldest.remove();
        byName.remove(candidate.key(), candidate);
        latestByVmi.remove(key(candidate.request.namespace(), candidate.vmi.name()), candidate);
        finished--;
      }
    }
  }

  // ---------------------------------------------------------------- limits and queue

  /** Starts as many queued migrations as the limits allow, first come first served. */
  private void dispatch() {
    List<TrackedMigration> started = new ArrayList<>();
    synchronized (this) {
      MigrationConfiguration limits = configuration;
      Iterator<TrackedMigration> it = queue.iterator();
      while (running < limits.parallelMigrationsPerCluster() && it.hasNext()) {
        TrackedMigration next = it.next();
        String node = next.vmi.nodeName();
        if (outbound.getOrDefault(node, 0) >= limits.parallelOutboundMigrationsPerNode()) {
          continue;
        }
        it.remove();
        running++;
        outbound.merge(node, 1, Integer::sum);
        next.holdsSlot = true;
        started.add(next);
      }
    }
    for (TrackedMigration migration : started) {
      migration.update(s -> s.phase(MigrationPhase.SCHEDULING));
      scheduler.execute(() -> prepare(migration));
    }
  }

  private synchronized void release(TrackedMigration migration) {
    if (migration.holdsSlot) {
      migration.holdsSlot = false;
      running--;
      outbound.merge(migration.vmi.nodeName(), -1, Integer::sum);
      outbound.remove(migration.vmi.nodeName(), 0);
      if (migration.targetNode != null) {
        incoming.merge(migration.targetNode, -1, Integer::sum);
        incoming.remove(migration.targetNode, 0);
      }
    }
    activeByVmi.remove(key(migration.request.namespace(), migration.vmi.name()), migration);
    finished++;
  }

  // ---------------------------------------------------------------- the steps of one migration

  private void prepare(TrackedMigration m) {
    synchronized (m) {
      if (m.isTerminal()) {
        return;
      }
      try {
        if (m.cancelRequested) {
          finishAborted(m);
          return;
        }
        Node source = node(m.vmi.nodeName());
        Node target = chooseTarget(m, source);
        m.update(s -> s.phase(MigrationPhase.SCHEDULED).targetNode(target.name()));
        publish(
            new MigrationEvent.Scheduled(
                m.uid(), m.request, scheduler.now(), source.name(), target.name()));
        m.update(s -> s.phase(MigrationPhase.PREPARING_TARGET));
        MigrationSession session =
            backend.open(
                new MigrationSpec(
                    m.uid(), m.request, m.vmi, m.method, source, target, m.configuration));
        m.session = session;
        TargetEndpoint endpoint = session.prepareTarget();
        m.update(
            s ->
                s.phase(MigrationPhase.TARGET_READY)
                    .targetNodeAddress(endpoint.address())
                    .targetDirectMigrationNodePorts(endpoint.ports())
                    .targetPod(endpoint.targetPod()));
        publish(
            new MigrationEvent.TargetReady(
                m.uid(), m.request, scheduler.now(), endpoint.address(), endpoint.ports()));
        if (m.cancelRequested) {
          finishAborted(m);
          return;
        }
        session.start();
        Instant now = scheduler.now();
        m.startedAt = now;
        m.lastProgressAt = now;
        m.update(s -> s.phase(MigrationPhase.RUNNING).startTimestamp(now));
        publish(new MigrationEvent.Running(m.uid(), m.request, now));
        LOG.info("Migration {} running from {} to {}", m, source.name(), target.name());
      } catch (RuntimeException | Error e) {
        fail(m, "could not start: " + describe(e));
        rethrowIfFatal(e);
        return;
      }
    }
    scheduler.schedule(sampleInterval, () -> monitor(m));
  }

  private Node node(String name) {
    return inventory.nodes().stream()
        .filter(node -> node.name().equals(name))
        .findFirst()
        .orElseThrow(
            () -> new IllegalStateException("source node " + name + " is not in the inventory"));
  }

  private Node chooseTarget(TrackedMigration m, Node source) {
    String drainKey = m.configuration.nodeDrainTaintKey();
    List<Node> candidates =
        inventory.nodes().stream()
            .filter(
                n -> n.schedulable() && !n.name().equals(source.name()) && !n.hasTaint(drainKey))
            .toList();
    Map<String, Integer> load = new HashMap<>(inventory.vmiCountsByNode());
    synchronized (this) {
      incoming.forEach((node, count) -> load.merge(node, count, Integer::sum));
    }
    Node target =
        targetSelector
            .select(m.vmi, candidates, java.util.Collections.unmodifiableMap(load))
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

  /** One turn of the monitor loop: sample, check timeouts, consult the strategy. */
  private void monitor(TrackedMigration m) {
    synchronized (m) {
      if (m.isTerminal()) {
        return;
      }
      MigrationSession session = m.session;
      try {
        if (m.cancelRequested && m.abortSentAt == null) {
          abort(m, "cancelled on request", true);
        }
        ProgressSample sample = session.sample();
        m.remember(sample);
        m.update(
            s -> {
              s.progress(sample);
              if (sample.mode() == MigrationMode.POST_COPY) {
                // Post-copy cannot be undone: a later sample that leaves the mode out (a failed or
                // completed job) must not make the state claim the guest is whole on the source.
                s.mode(MigrationMode.POST_COPY);
              }
              return s;
            });
        publish(new MigrationEvent.Progress(m.uid(), m.request, scheduler.now(), sample));
        switch (sample.status()) {
          case COMPLETED -> {
            succeed(m, sample);
            return;
          }
          case FAILED -> {
            fail(
                m,
                m.abortReason != null
                    ? m.abortReason
                    : sample.failureReason().orElse("the backend reported a failure"));
            return;
          }
          case ACTIVE -> steer(m, sample);
        }
      } catch (RuntimeException | Error e) {
        if (m.state().mode() == MigrationMode.PRE_COPY) {
          abortQuietly(m);
        }
        fail(m, "lost track of the migration: " + describe(e));
        rethrowIfFatal(e);
        return;
      }
      if (m.isTerminal()) {
        return;
      }
    }
    scheduler.schedule(sampleInterval, () -> monitor(m));
  }

  private void steer(TrackedMigration m, ProgressSample sample) {
    Instant now = scheduler.now();
    if (m.abortSentAt != null) {
      Duration waited = Duration.between(m.abortSentAt, now);
      if (waited.compareTo(m.configuration.progressTimeout()) >= 0) {
        fail(m, m.abortReason + " (the backend did not confirm the abort within " + waited + ")");
      }
      return;
    }
    // Progress is a new low-water mark of the data remaining: remaining data rises and falls
    // from pass to pass while the guest dirties memory, and only a new minimum shows that the
    // migration got closer to its end. Completed passes do not count: a guest that never
    // converges completes passes forever.
    if (sample.dataRemaining() < m.lowWater) {
      m.lowWater = sample.dataRemaining();
      m.lastProgressAt = now;
    }
    if (sample.mode() == MigrationMode.POST_COPY) {
      reportTimeoutsInPostCopy(m, now);
    } else if (enforceTimeouts(m, now)) {
      return;
    }
    Directive directive =
        strategy.decide(
            new StrategyInput(
                sample,
                m.historyBefore(sample),
                m.configuration,
                Duration.between(m.startedAt, now),
                m.completionTimeout));
    apply(m, directive, "strategy " + strategy.id());
  }

  /** Aborts or switches to post-copy when a timeout expired; returns true if it aborted. */
  private boolean enforceTimeouts(TrackedMigration m, Instant now) {
    Duration elapsed = Duration.between(m.startedAt, now);
    if (elapsed.compareTo(m.completionTimeout) >= 0 && !m.postCopyRequested) {
      String expired =
          "completion timeout of "
              + m.completionTimeout.toSeconds()
              + " s expired ("
              + m.configuration.completionTimeoutPerGiB().toSeconds()
              + " s per GiB of "
              + m.vmi.bytesToCopy()
              + " bytes to copy)";
      if (m.configuration.allowPostCopy()) {
        apply(m, new Directive.SwitchToPostCopy(), expired + "; switching to post-copy");
        return false;
      }
      abort(m, expired + " and post-copy is not allowed", false);
      return true;
    }
    Duration stalled = Duration.between(m.lastProgressAt, now);
    if (stalled.compareTo(m.configuration.progressTimeout()) >= 0) {
      abort(
          m,
          "progress timeout: data remaining has not fallen below "
              + m.lowWater
              + " bytes for "
              + stalled.toSeconds()
              + " s (progressTimeout "
              + m.configuration.progressTimeout().toSeconds()
              + " s)",
          false);
      return true;
    }
    return false;
  }

  /**
   * In post-copy neither timeout aborts: that would lose the guest. The completion timeout is only
   * reported; the migration waits for the backend to report its end (a backend reports a broken
   * post-copy link as FAILED).
   */
  private void reportTimeoutsInPostCopy(TrackedMigration m, Instant now) {
    if (!m.postCopyTimeoutReported
        && Duration.between(m.startedAt, now).compareTo(m.completionTimeout) >= 0) {
      m.postCopyTimeoutReported = true;
      LOG.warn(
          "Migration {} is past its completion timeout in post-copy; it cannot be aborted"
              + " without losing the guest, so it goes on",
          m);
    }
  }

  private void apply(TrackedMigration m, Directive directive, String reason) {
    if (directive instanceof Directive.Continue || directive.equals(m.lastDirective)) {
      return;
    }
    if (directive instanceof Directive.Abort abort) {
      abort(m, abort.reason(), false);
      return;
    }
    if (directive instanceof Directive.Throttle && !m.configuration.allowAutoConverge()) {
      LOG.debug("Migration {}: {} ignored, allowAutoConverge is false", m, directive);
      return;
    }
    if (directive instanceof Directive.SwitchToPostCopy) {
      if (!m.configuration.allowPostCopy() || m.postCopyRequested) {
        LOG.debug("Migration {}: {} ignored, post-copy not allowed or requested", m, directive);
        return;
      }
      m.postCopyRequested = true;
    }
    try {
      m.session.apply(directive);
    } catch (RuntimeException e) {
      // A directive that cannot be applied leaves the migration as it was; it may still finish.
      LOG.warn("Migration {}: {} could not be applied: {}", m, directive, describe(e));
      if (directive instanceof Directive.SwitchToPostCopy) {
        m.postCopyRequested = false;
      }
      return;
    }
    m.lastDirective = directive;
    LOG.info("Migration {}: applied {} ({})", m, directive, reason);
    publish(
        new MigrationEvent.DirectiveApplied(
            m.uid(), m.request, scheduler.now(), directive, reason));
  }

  // ---------------------------------------------------------------- cancellation and aborts

  void cancel(TrackedMigration m) {
    boolean wasPending;
    synchronized (this) {
      if (m.cancelRequested) {
        return;
      }
      m.cancelRequested = true;
      wasPending = queue.remove(m);
      // Under the lock, which the migration's end takes to release its slot before it publishes
      // Succeeded or Failed: the request comes before the end, and never after it.
      if (!m.isTerminal()) {
        publish(new MigrationEvent.AbortRequested(m.uid(), m.request, scheduler.now()));
      }
    }
    if (wasPending) {
      synchronized (m) {
        finishAborted(m);
      }
      return;
    }
    synchronized (m) {
      if (m.isTerminal()) {
        m.update(
            s ->
                s.abortRequested(true)
                    .abortStatus(AbortStatus.FAILED)
                    .failureReason(
                        m.state().failed()
                            ? m.state().failureReason().orElse("the migration had already failed")
                            : "the migration had already completed"));
      } else if (m.state().mode() == MigrationMode.POST_COPY || m.postCopyRequested) {
        refuseAbortInPostCopy(m);
      } else {
        m.update(s -> s.abortRequested(true).abortStatus(AbortStatus.ABORTING));
      }
    }
  }

  private void refuseAbortInPostCopy(TrackedMigration m) {
    if (m.state().abortStatus().orElse(null) == AbortStatus.FAILED) {
      return;
    }
    m.update(
        s ->
            s.abortRequested(true)
                .abortStatus(AbortStatus.FAILED)
                .failureReason(
                    "cannot abort in post-copy: the guest already runs on the target and"
                        + " aborting would lose it; the migration goes on"));
    LOG.warn("Migration {}: abort refused, it is in post-copy", m);
  }

  /** Asks the backend to stop; the next samples tell whether it did. */
  private void abort(TrackedMigration m, String reason, boolean onRequest) {
    // Once the switch was applied the guest may already run on the target, even before a sample
    // shows post-copy: a cancellation is refused from then on.
    if (m.state().mode() == MigrationMode.POST_COPY || (onRequest && m.postCopyRequested)) {
      if (onRequest) {
        refuseAbortInPostCopy(m);
      }
      return;
    }
    LOG.warn("Migration {}: aborting, {}", m, reason);
    m.abortReason = reason;
    m.abortSentAt = scheduler.now();
    m.session.abort();
  }

  private void abortQuietly(TrackedMigration m) {
    try {
      if (m.session != null) {
        m.session.abort();
      }
    } catch (RuntimeException e) {
      LOG.debug("Migration {}: abort after a failure failed too", m, e);
    }
  }

  // ---------------------------------------------------------------- endings

  private void finishAborted(TrackedMigration m) {
    finish(
        m,
        s ->
            s.phase(MigrationPhase.FAILED)
                .completed(true)
                .failed(true)
                .abortRequested(true)
                .abortStatus(AbortStatus.SUCCEEDED)
                .failureReason("cancelled on request"));
  }

  private void succeed(TrackedMigration m, ProgressSample last) {
    inventory.onMigrated(m.vmi, m.state().targetNode().orElseThrow());
    finish(
        m,
        s -> {
          s.phase(MigrationPhase.SUCCEEDED)
              .completed(true)
              .failed(false)
              .targetNodeDomainDetected(true);
          if (m.cancelRequested) {
            s.abortStatus(AbortStatus.FAILED)
                .failureReason("the migration completed before the abort took effect");
          }
          return s;
        });
  }

  private void fail(TrackedMigration m, String reason) {
    boolean lostGuest = m.state().mode() == MigrationMode.POST_COPY;
    String why =
        lostGuest
            ? reason
                + "; the migration failed in post-copy, so neither host holds the guest's whole"
                + " state: the guest is lost"
            : reason;
    // The abort took if the backend stopped the job it was asked to stop, or if nothing had
    // started moving yet.
    boolean stopped = m.startedAt == null || reason.equals(m.abortReason);
    finish(
        m,
        s -> {
          s.phase(MigrationPhase.FAILED).completed(true).failed(true).failureReason(why);
          if (m.cancelRequested) {
            s.abortRequested(true)
                .abortStatus(stopped && !lostGuest ? AbortStatus.SUCCEEDED : AbortStatus.FAILED);
          }
          return s;
        });
  }

  private void finish(
      TrackedMigration m, java.util.function.UnaryOperator<MigrationState.Builder> ending) {
    MigrationSession session = m.session;
    if (session != null) {
      try {
        session.close();
      } catch (RuntimeException e) {
        LOG.warn("Migration {}: closing the backend session failed", m, e);
      }
    }
    Instant now = scheduler.now();
    MigrationState last = m.update(s -> ending.apply(s.endTimestamp(now)));
    release(m);
    if (last.failed()) {
      LOG.warn("Migration {} failed: {}", m, last.failureReason().orElse(""));
      publish(new MigrationEvent.Failed(m.uid(), m.request, now, last));
    } else {
      LOG.info("Migration {} succeeded", m);
      publish(new MigrationEvent.Succeeded(m.uid(), m.request, now, last));
    }
    m.completion.complete(last);
    scheduler.execute(this::dispatch);
  }

  private void publish(MigrationEvent event) {
    for (MigrationListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException e) {
        LOG.warn("A migration listener failed on {}", MigrationEvent.class.getSimpleName(), e);
      }
    }
  }

  private static void requireName(String parameter, String value) {
    Objects.requireNonNull(value, parameter);
    if (value.isBlank()) {
      throw new IllegalArgumentException(parameter + " must not be blank, but was '" + value + "'");
    }
  }

  /** Ends nothing more: the migration has been failed; only the JVM's own errors go on. */
  private static void rethrowIfFatal(Throwable e) {
    if (e instanceof VirtualMachineError fatal) {
      throw fatal;
    }
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  // ---------------------------------------------------------------- queries and the rest

  @Override
  public Optional<MigrationHandle> cancel(String namespace, String migrationName) {
    requireName("namespace", namespace);
    requireName("migrationName", migrationName);
    TrackedMigration m;
    synchronized (this) {
      m = byName.get(key(namespace, migrationName));
    }
    if (m == null || m.isTerminal()) {
      return Optional.empty();
    }
    m.cancel();
    return Optional.of(m);
  }

  @Override
  public Optional<MigrationHandle> cancelForVmi(String namespace, String vmiName) {
    requireName("namespace", namespace);
    requireName("vmiName", vmiName);
    TrackedMigration m;
    synchronized (this) {
      m = activeByVmi.get(key(namespace, vmiName));
    }
    if (m == null) {
      return Optional.empty();
    }
    m.cancel();
    return Optional.of(m);
  }

  @Override
  public Drain drain(String nodeName) {
    requireName("nodeName", nodeName);
    if (inventory.nodes().stream().noneMatch(node -> node.name().equals(nodeName))) {
      throw new MigrationRejectedException(
          Reason.NODE_NOT_FOUND, "node " + nodeName + " is not in the inventory");
    }
    List<MigrationHandle> handles = new ArrayList<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    inventory.virtualMachineInstances().stream()
        .filter(vmi -> vmi.nodeName().equals(nodeName))
        .sorted(
            java.util.Comparator.comparing(VirtualMachineInstance::namespace)
                .thenComparing(VirtualMachineInstance::name))
        .forEach(
            vmi -> {
              try {
                handles.add(
                    migrate(
                        VirtualMachineInstanceMigration.builder()
                            .namespace(vmi.namespace())
                            .name("kubevirt-evacuation-" + randomSuffix())
                            .vmiName(vmi.name())
                            .build()));
              } catch (MigrationRejectedException e) {
                TrackedMigration active;
                synchronized (this) {
                  active = activeByVmi.get(key(vmi.namespace(), vmi.name()));
                }
                if (e.reason() == Reason.ALREADY_MIGRATING && active != null) {
                  handles.add(active);
                } else {
                  skipped.put(key(vmi.namespace(), vmi.name()), e.getMessage());
                }
              }
            });
    return new NodeDrain(nodeName, handles, skipped);
  }

  private static String randomSuffix() {
    String alphabet = "bcdfghjklmnpqrstvwxz2456789";
    StringBuilder suffix = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      suffix.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
    }
    return suffix.toString();
  }

  private record NodeDrain(
      String nodeName, List<MigrationHandle> migrations, Map<String, String> skipped)
      implements Drain {
    NodeDrain {
      migrations = List.copyOf(migrations);
      skipped = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(skipped));
    }

    @Override
    public CompletableFuture<List<MigrationState>> completion() {
      List<CompletableFuture<MigrationState>> all =
          migrations.stream().map(MigrationHandle::completion).toList();
      return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
          .thenApply(done -> all.stream().map(CompletableFuture::join).toList());
    }
  }

  @Override
  public synchronized Optional<MigrationHandle> find(String namespace, String migrationName) {
    requireName("namespace", namespace);
    requireName("migrationName", migrationName);
    return Optional.ofNullable(byName.get(key(namespace, migrationName)));
  }

  @Override
  public synchronized List<MigrationHandle> migrations() {
    return List.copyOf(byUid.values());
  }

  @Override
  public VirtualMachineInstanceStatus status(String namespace, String vmiName) {
    requireName("namespace", namespace);
    requireName("vmiName", vmiName);
    VirtualMachineInstance vmi =
        inventory
            .find(namespace, vmiName)
            .orElseThrow(
                () ->
                    new MigrationRejectedException(
                        Reason.VMI_NOT_FOUND,
                        "VMI " + key(namespace, vmiName) + " is not running in the cluster"));
    VirtualMachineInstanceStatus.Builder status =
        VirtualMachineInstanceStatus.builder()
            .addConditions(liveMigratable(vmi))
            .migrationMethod(Admission.method(vmi));
    TrackedMigration latest;
    synchronized (this) {
      latest = latestByVmi.get(key(namespace, vmiName));
    }
    if (latest != null) {
      status.migrationState(latest.state());
    }
    return status.build();
  }

  @Override
  public MigrationConfiguration configuration() {
    return configuration;
  }

  @Override
  public void reconfigure(MigrationConfiguration configuration) {
    this.configuration = java.util.Objects.requireNonNull(configuration, "configuration");
    LOG.info("Cluster migration configuration replaced");
    scheduler.execute(this::dispatch);
  }

  @Override
  public void close() {
    List<TrackedMigration> pending;
    List<TrackedMigration> active;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      pending = new ArrayList<>(queue);
      active = new ArrayList<>(activeByVmi.values());
    }
    active.forEach(TrackedMigration::cancel);
    pending.forEach(TrackedMigration::cancel);
    if (ownsScheduler) {
      for (TrackedMigration m : active) {
        m.completion.completeOnTimeout(m.state(), 30, java.util.concurrent.TimeUnit.SECONDS).join();
      }
      scheduler.close();
    }
    backend.close();
  }

  /** Returns a consistent view of the limits' counters, for tests and benchmarks. */
  synchronized int[] counters() {
    return new int[] {running, queue.size()};
  }

  /** For diagnostics: the migration method of a VMI. */
  static MigrationMethod methodOf(VirtualMachineInstance vmi) {
    return Admission.method(vmi);
  }
}
