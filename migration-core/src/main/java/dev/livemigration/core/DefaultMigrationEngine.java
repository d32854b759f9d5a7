package dev.livemigration.core;

import dev.livemigration.api.Drain;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.MigrationRejectedException.Reason;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Node;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.ClusterInventory;
import dev.livemigration.api.spi.FencedException;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationStore;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.TargetSelector;
import dev.livemigration.core.store.InMemoryMigrationStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine: the entry points of {@link MigrationEngine} over a {@link MigrationStore}. Admission
 * is the {@link Admitter}'s, the queue and the limits the {@link Dispatcher}'s, each migration's
 * steps the {@link MigrationDriver}'s.
 *
 * <p>Locking: each {@link TrackedMigration}'s monitor guards its backend session; the dispatcher's
 * lock orders ends and starts. A thread may take the dispatcher's lock while holding a migration's,
 * never the reverse. No entry point waits for a backend call.
 */
final class DefaultMigrationEngine implements MigrationEngine {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultMigrationEngine.class);
  static final int RETAINED_FINISHED = InMemoryMigrationStore.DEFAULT_RETENTION;

  final HypervisorBackend backend;
  final ClusterInventory inventory;
  final MigrationStrategy strategy;
  final TargetSelector targetSelector;
  final Scheduler scheduler;
  final Publisher publisher;
  final Duration sampleInterval;
  final MigrationStore store;
  final Membership membership;
  final Completions completions;
  final Dispatcher dispatcher;
  final MigrationDriver driver;
  final Cancellations cancellations;
  private final Admitter admitter;
  private final boolean ownsScheduler;
  private final boolean sharedStore;
  private final Duration closeTimeout;
  private volatile MigrationConfiguration configuration;
  private volatile boolean closed;

  /** The migrations this replica drives, by uid. */
  private final Map<String, TrackedMigration> driven = new ConcurrentHashMap<>();

  DefaultMigrationEngine(MigrationEngines.Builder builder) {
    this.configuration = builder.configuration;
    this.backend = builder.backend;
    this.inventory = builder.inventory;
    this.strategy = builder.strategy;
    this.targetSelector = builder.targetSelector;
    this.ownsScheduler = builder.scheduler == null;
    this.scheduler = ownsScheduler ? Scheduler.system(4) : builder.scheduler;
    this.publisher = new Publisher(builder.listeners);
    this.sampleInterval = builder.sampleInterval;
    this.closeTimeout = builder.closeTimeout;
    this.sharedStore = builder.store != null;
    this.store =
        sharedStore ? builder.store : new InMemoryMigrationStore(scheduler::now, RETAINED_FINISHED);
    // A private store lives as long as this engine: its lease never needs renewing.
    Duration lease = sharedStore ? builder.leaseDuration : ChronoForever.DURATION;
    this.membership = new Membership(store, builder.replica, lease);
    this.completions = new Completions(store);
    this.dispatcher = new Dispatcher(this);
    this.driver = new MigrationDriver(this);
    this.cancellations = new Cancellations(this);
    this.admitter =
        new Admitter(
            store,
            inventory,
            backend,
            builder.policies,
            () -> this.configuration,
            builder.migratableBindingPlugins);
    if (sharedStore) {
      scheduleHousekeeping();
    }
  }

  /** A lease as good as endless, for a private store. */
  private static final class ChronoForever {
    static final Duration DURATION = Duration.ofDays(365L * 1000);
  }

  static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  // ---------------------------------------------------------------- admission

  @Override
  public MigrationHandle migrate(VirtualMachineInstanceMigration request) {
    Objects.requireNonNull(request, "request");
    requireOpen();
    MigrationRecord record = admitter.admit(request);
    if (closed) {
      // Closed while admitting: the record is queued in the store; cancel it so nothing waits.
      store.requestCancel(record.uid());
      dispatcher.dispatch();
      throw new MigrationRejectedException(Reason.ENGINE_CLOSED, "the engine is closed");
    }
    publisher.publish(
        new MigrationEvent.Queued(record.uid(), request, scheduler.now(), membership.replica()));
    LOG.info("Queued migration {} ({}) of VMI {}", record.key(), record.uid(), request.vmiName());
    scheduler.execute(dispatcher::dispatch);
    return new EngineHandle(this, record.state(), request);
  }

  private void requireOpen() {
    if (closed) {
      throw new MigrationRejectedException(Reason.ENGINE_CLOSED, "the engine is closed");
    }
  }

  // ---------------------------------------------------------------- the migrations driven here

  TrackedMigration track(MigrationRecord record) {
    TrackedMigration m =
        new TrackedMigration(record, next -> store.write(membership.lease(), next));
    driven.put(record.uid(), m);
    return m;
  }

  @Nullable TrackedMigration driven(String uid) {
    return driven.get(uid);
  }

  boolean drives(TrackedMigration m) {
    return driven.get(m.uid()) == m;
  }

  /** Stops tracking the migration; returns whether it was tracked until now. */
  boolean forget(TrackedMigration m) {
    return driven.remove(m.uid(), m);
  }

  /**
   * Stops driving every migration: the lease was lost and others may have adopted them. Each is let
   * go under its own lock, on the scheduler, so that its session still sees one call at a time.
   */
  void dropAll() {
    FencedException lost = new FencedException("the replica's lease was lost");
    for (TrackedMigration m : List.copyOf(driven.values())) {
      scheduler.execute(
          () -> {
            synchronized (m) {
              driver.endings.lose(m, lost);
            }
          });
    }
  }

  /**
   * The migration's state as the store has it: the truth even when another replica adopted a
   * migration this one still believes it drives.
   */
  @Nullable MigrationState stateOf(String uid) {
    return store.find(uid).map(MigrationRecord::state).orElse(null);
  }

  Node node(String name, String role) {
    return inventory.nodes().stream()
        .filter(node -> node.name().equals(name))
        .findFirst()
        .orElseThrow(
            () -> new IllegalStateException(role + " node " + name + " is not in the inventory"));
  }

  private void scheduleHousekeeping() {
    repeat(membership.leaseDuration().dividedBy(3), dispatcher::keepLease);
    repeat(sampleInterval, dispatcher::housekeep);
  }

  /** Runs {@code task} every {@code period} until the engine closes. */
  private void repeat(Duration period, Runnable task) {
    scheduler.schedule(
        period,
        () -> {
          if (!closed) {
            task.run();
            repeat(period, task);
          }
        });
  }

  // ---------------------------------------------------------------- cancellation

  @Override
  public Optional<MigrationHandle> cancel(String namespace, String migrationName) {
    requireName("namespace", namespace);
    requireName("migrationName", migrationName);
    Optional<MigrationRecord> record = store.findByName(namespace, migrationName);
    if (record.isEmpty() || record.get().isTerminal()) {
      return Optional.empty();
    }
    cancellations.cancel(record.get().uid());
    return Optional.of(handle(record.get()));
  }

  @Override
  public Optional<MigrationHandle> cancelForVmi(String namespace, String vmiName) {
    requireName("namespace", namespace);
    requireName("vmiName", vmiName);
    String active = store.vmiSlot(namespace, vmiName).activeMigrationUid();
    if (active == null) {
      return Optional.empty();
    }
    Optional<MigrationRecord> record = store.find(active);
    if (record.isEmpty()) {
      return Optional.empty();
    }
    cancellations.cancel(active);
    return Optional.of(handle(record.get()));
  }

  private MigrationHandle handle(MigrationRecord record) {
    return new EngineHandle(this, record.state(), record.request());
  }

  // ---------------------------------------------------------------- drains and queries

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
            Comparator.comparing(VirtualMachineInstance::namespace)
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
                Optional<MigrationRecord> active =
                    Optional.ofNullable(
                            store.vmiSlot(vmi.namespace(), vmi.name()).activeMigrationUid())
                        .flatMap(store::find);
                if (e.reason() == Reason.ALREADY_MIGRATING && active.isPresent()) {
                  handles.add(handle(active.get()));
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

  @Override
  public Optional<MigrationHandle> find(String namespace, String migrationName) {
    requireName("namespace", namespace);
    requireName("migrationName", migrationName);
    return store.findByName(namespace, migrationName).map(this::handle);
  }

  @Override
  public List<MigrationHandle> migrations() {
    return store.list().stream().map(this::handle).toList();
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
            .addConditions(admitter.liveMigratable(vmi))
            .migrationMethod(Admission.method(vmi));
    store
        .latestForVmi(namespace, vmiName)
        .ifPresent(
            latest -> {
              MigrationState now = stateOf(latest.uid());
              status.migrationState(now != null ? now : latest.state());
            });
    return status.build();
  }

  private static void requireName(String parameter, String value) {
    Objects.requireNonNull(value, parameter);
    if (value.isBlank()) {
      throw new IllegalArgumentException(parameter + " must not be blank, but was '" + value + "'");
    }
  }

  @Override
  public MigrationConfiguration configuration() {
    return configuration;
  }

  @Override
  public void reconfigure(MigrationConfiguration configuration) {
    this.configuration = Objects.requireNonNull(configuration, "configuration");
    LOG.info("Cluster migration configuration replaced");
    scheduler.execute(dispatcher::dispatch);
  }

  // ---------------------------------------------------------------- close

  /**
   * Stops accepting requests and cancels this replica's migrations (a shared store's queue is left
   * to the other replicas); with its own scheduler, waits up to the close timeout for them to end.
   * What is still running then is left to other replicas with a shared store, or recorded as failed
   * with an unknown outcome with the private one. The backend's close is waited for up to the rest
   * of the timeout.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    Instant deadline = Instant.now().plus(closeTimeout);
    if (!sharedStore) {
      for (MigrationRecord record : store.list()) {
        if (record.phase() == MigrationPhase.PENDING) {
          store.requestCancel(record.uid());
        }
      }
      dispatcher.dispatch();
    }
    List<TrackedMigration> active = List.copyOf(driven.values());
    for (TrackedMigration m : active) {
      cancellations.cancelDriven(m);
    }
    if (ownsScheduler) {
      for (TrackedMigration m : active) {
        awaitEnd(m, deadline);
      }
      for (TrackedMigration m : List.copyOf(driven.values())) {
        giveUp(m);
      }
      if (scheduler instanceof SystemScheduler system) {
        // Tasks still blocked in the backend are interrupted once the bound is reached.
        system.closeWithin(Duration.between(Instant.now(), deadline));
      } else {
        scheduler.close();
      }
    }
    if (sharedStore) {
      try {
        membership.leave();
      } catch (RuntimeException e) {
        LOG.warn("Could not leave the {} store: {}", store.id(), e.getMessage());
      }
    }
    closeBackend(deadline);
  }

  private void awaitEnd(TrackedMigration m, Instant deadline) {
    long left = Math.max(0, Duration.between(Instant.now(), deadline).toMillis());
    try {
      completions.of(m.uid(), m.state()).get(left, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      LOG.warn("Migration {} did not end within the close timeout of {}", m, closeTimeout);
    } catch (java.util.concurrent.ExecutionException e) {
      LOG.debug("Migration {} ended exceptionally", m, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Records the end of a migration whose backend is still busy when the engine closes. */
  private void giveUp(TrackedMigration m) {
    if (sharedStore) {
      forget(m);
      return;
    }
    String reason =
        "the engine closed while the backend was still busy ("
            + backend.id()
            + " did not confirm the abort within the close timeout of "
            + closeTimeout.toSeconds()
            + " s); whether the guest runs on "
            + m.record().sourceNode()
            + " or on "
            + m.state().targetNode().orElse("the target")
            + " is unknown: check both hosts";
    try {
      dispatcher.end(
          m,
          s ->
              s.phase(MigrationPhase.FAILED)
                  .completed(true)
                  .failed(true)
                  .failureReason(reason)
                  .guestLocation(GuestLocation.UNKNOWN));
    } catch (FencedException e) {
      LOG.debug("Migration {} ended meanwhile", m);
    }
  }

  private void closeBackend(Instant deadline) {
    Thread closer = new Thread(backend::close, "lm-engine-close-backend");
    closer.setDaemon(true);
    closer.start();
    try {
      closer.join(Math.max(1, Duration.between(Instant.now(), deadline).toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (closer.isAlive()) {
      LOG.warn("The {} backend did not close within the close timeout; left closing", backend.id());
    }
  }

  /** Returns how many migrations run and wait in the store: for tests and benchmarks. */
  int[] counters() {
    int running = 0;
    int queued = 0;
    for (MigrationRecord record : store.list()) {
      if (record.isActive()) {
        running++;
      } else if (record.phase() == MigrationPhase.PENDING) {
        queued++;
      }
    }
    return new int[] {running, queued};
  }

  /** For diagnostics: the migration method of a VMI. */
  static MigrationMethod methodOf(VirtualMachineInstance vmi) {
    return Admission.method(vmi);
  }
}
