package dev.livemigration.metrics;

import dev.livemigration.api.Directive;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.event.MigrationListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Micrometer binder for one engine's migrations: a {@link MigrationListener} that exports them
 * under the names, types and labels of KubeVirt's metrics (virt-handler's per-migration progress
 * gauges, virt-controller's phase counts, outcomes, start and end times and phase-transition
 * histogram) plus this library's own (passes, throttle, directives, queue wait, outcomes).
 *
 * <pre>{@code
 * MigrationMetrics metrics = MigrationMetrics.on(registry);
 * MigrationEngine engine = MigrationEngines.builder()
 *     .listener(metrics)
 *     ...
 *     .build();
 * }</pre>
 *
 * <p>The meters of a running migration are removed when it ends. What a dashboard needs of its end
 * (its {@code kubevirt_vmi_migration_succeeded} or {@code _failed}, start and end time and last
 * downtime) stays for the newest {@link Builder#finishedRetention(int) finishedRetention} finished
 * migrations, as KubeVirt keeps them while the migration object lives; so the registry holds at
 * most a fixed number of meters per running migration plus that many finished ones.
 *
 * <p>Thread-safe: the engine may call it from several threads at once. Gauges read values the
 * events left, so a scrape never waits for the engine; scrape through {@link #whileSteady} to keep
 * meters from coming and going during the scrape. Micrometer is an optional dependency of this
 * module: an application that uses this class brings {@code micrometer-core}.
 *
 * <p>Where this deviates from KubeVirt: {@code kubevirt_vmi_migrations_in_scheduling_phase} stays
 * 0, as the engine chooses the target at once (KubeVirt's Scheduled, PreparingTarget, TargetReady
 * and Running count as running, as there); {@code _in_unset_phase} counts migrations this replica
 * adopted and has not seen a phase of yet; the label {@code node} of the progress gauges is the
 * source node, {@value #UNKNOWN_NODE} for an adopted migration; the older name {@code
 * kubevirt_vmi_migration_data_total_bytes} is exported too, as a gauge, beside today's counter
 * {@code kubevirt_vmi_migration_data_bytes_total}; outcomes stay for a bounded number of finished
 * migrations instead of as long as a migration object exists.
 */
public final class MigrationMetrics implements MigrationListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MigrationMetrics.class);

  /** The node label of a migration whose source this binder never learnt (adopted ones). */
  public static final String UNKNOWN_NODE = "unknown";

  /** Finished migrations whose outcome meters stay unless told otherwise: 100. */
  public static final int DEFAULT_FINISHED_RETENTION = 100;

  // virt-handler, per running migration; labels namespace, name (the VMI), node (the source).
  static final String DATA_TOTAL = "kubevirt_vmi_migration_data_bytes_total";
  static final String DATA_TOTAL_LEGACY = "kubevirt_vmi_migration_data_total_bytes";
  static final String DATA_PROCESSED = "kubevirt_vmi_migration_data_processed_bytes";
  static final String DATA_REMAINING = "kubevirt_vmi_migration_data_remaining_bytes";
  static final String DIRTY_RATE = "kubevirt_vmi_migration_dirty_memory_rate_bytes";
  static final String TRANSFER_RATE = "kubevirt_vmi_migration_memory_transfer_rate_bytes";
  static final String LAST_DOWNTIME = "kubevirt_vmi_migration_last_downtime_seconds";
  static final String DOWNTIME = "kubevirt_vmi_migration_downtime_seconds";

  // virt-controller.
  static final String PENDING = "kubevirt_vmi_migrations_in_pending_phase";
  static final String SCHEDULING = "kubevirt_vmi_migrations_in_scheduling_phase";
  static final String RUNNING = "kubevirt_vmi_migrations_in_running_phase";
  static final String UNSET = "kubevirt_vmi_migrations_in_unset_phase";
  static final String SUCCEEDED = "kubevirt_vmi_migration_succeeded";
  static final String FAILED = "kubevirt_vmi_migration_failed";
  static final String START_TIME = "kubevirt_vmi_migration_start_time_seconds";
  static final String END_TIME = "kubevirt_vmi_migration_end_time_seconds";
  static final String PHASE_TRANSITION =
      "kubevirt_vmi_migration_phase_transition_time_from_creation_seconds";

  // This library's own.
  static final String PASSES = "livemigration_migration_passes";
  static final String THROTTLE = "livemigration_migration_throttle_percent";
  static final String POST_COPY = "livemigration_migration_post_copy";
  static final String DIRECTIVES = "livemigration_directives_applied";
  static final String QUEUE_WAIT = "livemigration_migration_queue_wait_seconds";
  static final String ENDED = "livemigration_migrations_ended";
  static final String ADOPTED = "livemigration_migrations_adopted";

  /** KubeVirt's buckets for phase transitions (virt-controller's PhaseTransitionTimeBuckets). */
  static final double[] PHASE_BUCKETS = {
    0.5, 1, 2, 5, 10, 20, 30, 40, 50, 60, 90, 120, 180, 300, 600, 1200, 1800, 3600
  };

  /** KubeVirt's buckets for the downtime at the switch (virt-handler's migrationDowntime). */
  static final double[] DOWNTIME_BUCKETS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32
  };

  /** How KubeVirt's phase gauges count a migration. */
  enum Bucket {
    PENDING,
    SCHEDULING,
    RUNNING,
    UNSET
  }

  private final MeterRegistry registry;
  private final int finishedRetention;
  private final Object lock = new Object();

  /** Migrations not yet ended, by uid; read without the lock by the phase gauges. */
  private final Map<String, Live> live = new ConcurrentHashMap<>();

  /** Every per-migration meter, by id, with the migration or outcome it reads now (lock). */
  private final Map<Meter.Id, Slot> slots = new HashMap<>();

  /** Outcomes still exported, oldest first (lock). */
  private final LinkedHashMap<String, Outcome> finished = new LinkedHashMap<>();

  /** Global meters (phase gauges); removed by close (lock). */
  private final List<Meter> global = new ArrayList<>();

  private boolean closed;

  private MigrationMetrics(MeterRegistry registry, int finishedRetention) {
    this.registry = registry;
    this.finishedRetention = finishedRetention;
    global.add(phaseGauge(PENDING, "Number of current pending migrations.", Bucket.PENDING));
    global.add(
        phaseGauge(SCHEDULING, "Number of current scheduling migrations.", Bucket.SCHEDULING));
    global.add(phaseGauge(RUNNING, "Number of current running migrations.", Bucket.RUNNING));
    global.add(
        phaseGauge(
            UNSET,
            "Number of current unset migrations: adopted ones whose phase this replica has not"
                + " seen yet.",
            Bucket.UNSET));
  }

  /** Returns a binder on {@code registry} with the default retention; add it as a listener. */
  public static MigrationMetrics on(MeterRegistry registry) {
    return builder(registry).build();
  }

  /** Returns a builder of a binder on {@code registry}. */
  public static Builder builder(MeterRegistry registry) {
    return new Builder(Objects.requireNonNull(registry, "registry"));
  }

  /** Configures a {@link MigrationMetrics}. */
  public static final class Builder {
    private final MeterRegistry registry;
    private int finishedRetention = DEFAULT_FINISHED_RETENTION;

    private Builder(MeterRegistry registry) {
      this.registry = registry;
    }

    /**
     * How many finished migrations keep their outcome meters (succeeded or failed, start and end
     * time, last downtime), newest first; 0 removes them at the end like the rest. 0 to 100,000;
     * {@value MigrationMetrics#DEFAULT_FINISHED_RETENTION} unless set.
     */
    public Builder finishedRetention(int count) {
      if (count < 0 || count > 100_000) {
        throw new IllegalArgumentException(
            "finishedRetention must be between 0 and 100000, but was " + count);
      }
      this.finishedRetention = count;
      return this;
    }

    /** Builds the binder and registers its global meters. */
    public MigrationMetrics build() {
      return new MigrationMetrics(registry, finishedRetention);
    }
  }

  /** The migrations not yet ended, as this binder counts them. */
  public int liveMigrations() {
    return live.size();
  }

  /** The finished migrations whose outcome meters are still exported. */
  public int retainedOutcomes() {
    synchronized (lock) {
      return finished.size();
    }
  }

  /**
   * Runs {@code read} (a scrape, say {@code prometheusRegistry::scrape}) while this binder adds or
   * removes no meter, and returns what it returned. A scrape that runs while a VMI's migration ends
   * and the next one of the same VMI starts could otherwise see the series twice, which the
   * Prometheus client refuses. Events wait for it, so {@code read} must be quick.
   */
  public <T> T whileSteady(Supplier<T> read) {
    synchronized (lock) {
      return read.get();
    }
  }

  @Override
  public void onEvent(MigrationEvent event) {
    try {
      synchronized (lock) {
        if (!closed) {
          handle(event);
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("Metrics could not take event {}", event, e);
    }
  }

  /** Removes every meter this binder registered; later events are ignored. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      for (Slot slot : slots.values()) {
        if (slot.meter != null) {
          registry.remove(slot.meter);
        }
      }
      slots.clear();
      finished.clear();
      live.clear();
      global.forEach(registry::remove);
      global.clear();
    }
  }

  // ------------------------------------------------------------------ events (under the lock)

  private void handle(MigrationEvent event) {
    if (event instanceof MigrationEvent.Queued queued) {
      Live m = new Live(queued.migrationUid(), queued.request(), queued.timestamp(), true);
      live.put(m.uid, m);
      m.bucket = Bucket.PENDING;
      transition(m, MigrationPhase.PENDING, queued.timestamp());
    } else if (event instanceof MigrationEvent.Scheduled scheduled) {
      Live m = liveOf(event, Bucket.RUNNING);
      m.sourceNode = scheduled.sourceNode();
      m.bucket = Bucket.RUNNING;
      if (m.createdKnown) {
        summary(QUEUE_WAIT, "Time from admission to a target being chosen.", PHASE_BUCKETS)
            .record(seconds(m.created, scheduled.timestamp()));
      }
      transition(m, MigrationPhase.SCHEDULED, scheduled.timestamp());
    } else if (event instanceof MigrationEvent.TargetReady ready) {
      Live m = liveOf(event, Bucket.RUNNING);
      m.bucket = Bucket.RUNNING;
      transition(m, MigrationPhase.TARGET_READY, ready.timestamp());
    } else if (event instanceof MigrationEvent.Running running) {
      Live m = liveOf(event, Bucket.RUNNING);
      m.bucket = Bucket.RUNNING;
      m.started = running.timestamp();
      transition(m, MigrationPhase.RUNNING, running.timestamp());
      register(
          m,
          gaugeId(
              START_TIME,
              "The time at which the migration started.",
              startTags(m.request, m.sourceNode)),
          owner -> ((Live) owner).startedSeconds());
    } else if (event instanceof MigrationEvent.Progress progress) {
      Live m = liveOf(event, Bucket.RUNNING);
      m.sample = progress.sample();
      if (m.bucket != Bucket.RUNNING) {
        m.bucket = Bucket.RUNNING;
      }
      if (!m.progressRegistered) {
        registerProgress(m);
      }
    } else if (event instanceof MigrationEvent.DirectiveApplied applied) {
      liveOf(event, Bucket.RUNNING);
      Counter.builder(DIRECTIVES)
          .description("Directives the engine applied to migrations, by kind.")
          .tag("kind", kind(applied.directive()))
          .register(registry)
          .increment();
    } else if (event instanceof MigrationEvent.AbortRequested) {
      liveOf(event, Bucket.UNSET);
    } else if (event instanceof MigrationEvent.Adopted) {
      liveOf(event, Bucket.UNSET);
      Counter.builder(ADOPTED)
          .description("Migrations this replica adopted from a replica that stopped.")
          .register(registry)
          .increment();
    } else if (event instanceof MigrationEvent.Succeeded succeeded) {
      end(event, succeeded.state());
    } else if (event instanceof MigrationEvent.Failed failed) {
      end(event, failed.state());
    }
  }

  /** The live migration of an event, made (counted as {@code bucket}) if this binder missed it. */
  private Live liveOf(MigrationEvent event, Bucket bucket) {
    return live.computeIfAbsent(
        event.migrationUid(),
        uid -> {
          Live m = new Live(uid, event.request(), event.timestamp(), false);
          m.bucket = bucket;
          return m;
        });
  }

  private void registerProgress(Live m) {
    m.progressRegistered = true;
    Tags tags = handlerTags(m.request, m.sourceNode);
    register(
        m,
        functionCounterId(
            DATA_TOTAL, "The total Guest OS data to be migrated to the new VM.", tags, null),
        owner -> ((Live) owner).sampleValue(ProgressSample::dataTotal));
    progressGauge(
        m,
        DATA_TOTAL_LEGACY,
        "The total Guest OS data to be migrated to the new VM (KubeVirt's older name).",
        tags,
        ProgressSample::dataTotal);
    progressGauge(
        m,
        DATA_PROCESSED,
        "The total Guest OS data processed and migrated to the new VM.",
        tags,
        ProgressSample::dataProcessed);
    progressGauge(
        m,
        DATA_REMAINING,
        "The remaining guest OS data to be migrated to the new VM.",
        tags,
        ProgressSample::dataRemaining);
    progressGauge(
        m,
        DIRTY_RATE,
        "The rate of memory being dirty in the Guest OS.",
        tags,
        ProgressSample::dirtyRate);
    progressGauge(
        m,
        TRANSFER_RATE,
        "The rate at which the memory is being transferred.",
        tags,
        ProgressSample::transferRate);
    progressGauge(
        m,
        PASSES,
        "The pre-copy pass the migration is in, from 1 for the first full pass over memory.",
        tags,
        ProgressSample::iteration);
    progressGauge(
        m,
        THROTTLE,
        "The share of CPU time taken from the guest (auto-converge), 0 to 99.",
        tags,
        ProgressSample::throttlePercent);
    progressGauge(
        m,
        POST_COPY,
        "1 while the migration is in post-copy, 0 in pre-copy.",
        tags,
        sample -> sample.mode() == MigrationMode.POST_COPY ? 1 : 0);
  }

  private void progressGauge(
      Live m, String name, String help, Tags tags, ToDoubleFunction<ProgressSample> value) {
    register(m, gaugeId(name, help, tags), owner -> ((Live) owner).sampleValue(value));
  }

  private void end(MigrationEvent event, MigrationState state) {
    Live m = live.remove(event.migrationUid());
    if (m == null) {
      m = new Live(event.migrationUid(), event.request(), event.timestamp(), false);
    }
    release(m);
    boolean failed = state.failed();
    String result = failed ? "failed" : "succeeded";
    transition(m, failed ? MigrationPhase.FAILED : MigrationPhase.SUCCEEDED, event.timestamp());
    Counter.builder(ENDED)
        .description("Migrations that ended, by result.")
        .tag("result", result)
        .register(registry)
        .increment();
    String source = state.sourceNode().orElse(m.sourceNode);
    Duration downtime = state.progress().flatMap(ProgressSample::downtime).orElse(null);
    if (downtime != null && !failed) {
      DistributionSummary.builder(DOWNTIME)
          .description(
              "Histogram of the time, in seconds, a guest was paused during successful live"
                  + " migration cut-over.")
          .serviceLevelObjectives(DOWNTIME_BUCKETS)
          .tag("node", source)
          .register(registry)
          .record(downtime.toNanos() / 1e9);
    }
    if (finishedRetention == 0) {
      return;
    }
    Outcome outcome = new Outcome(m.uid, state);
    VirtualMachineInstanceMigration request = m.request;
    String node = nodeAfter(state, source);
    register(
        outcome,
        gaugeId(
            failed ? FAILED : SUCCEEDED,
            failed
                ? "Indicates if the VMI migration failed."
                : "Indicates if the VMI migration succeeded.",
            Tags.of(
                "vmi", request.vmiName(),
                "vmim", request.name(),
                "namespace", request.namespace())),
        owner -> 1);
    Instant started = state.startTimestamp().orElse(m.started);
    if (started != null) {
      outcome.startSeconds = started.getEpochSecond();
      register(
          outcome,
          gaugeId(START_TIME, "The time at which the migration started.", startTags(request, node)),
          owner -> ((Outcome) owner).startSeconds);
    }
    Instant ended = state.endTimestamp().orElse(event.timestamp());
    outcome.endSeconds = ended.getEpochSecond();
    register(
        outcome,
        gaugeId(
            END_TIME,
            "The time at which the migration ended.",
            startTags(request, node).and("status", result)),
        owner -> ((Outcome) owner).endSeconds);
    if (downtime != null) {
      outcome.downtimeSeconds = downtime.toNanos() / 1e9;
      register(
          outcome,
          gaugeId(
              LAST_DOWNTIME,
              "Time, in seconds, the guest was paused during the cut-over of its last successful"
                  + " live migration.",
              handlerTags(request, source)),
          owner -> ((Outcome) owner).downtimeSeconds);
    }
    finished.put(outcome.uid, outcome);
    Iterator<Outcome> oldest = finished.values().iterator();
    while (finished.size() > finishedRetention && oldest.hasNext()) {
      Outcome evicted = oldest.next();
      oldest.remove();
      release(evicted);
    }
  }

  private static String nodeAfter(MigrationState state, String source) {
    if (state.guestLocation().orElse(null) == GuestLocation.TARGET) {
      return state.targetNode().orElse(source);
    }
    return source;
  }

  private void transition(Live m, MigrationPhase phase, Instant at) {
    if (!m.createdKnown) {
      return;
    }
    DistributionSummary.builder(PHASE_TRANSITION)
        .description(
            "Histogram of VM migration phase transitions duration from creation time in seconds.")
        .serviceLevelObjectives(PHASE_BUCKETS)
        .tag("phase", wireName(phase))
        .register(registry)
        .record(seconds(m.created, at));
  }

  private DistributionSummary summary(String name, String help, double[] buckets) {
    return DistributionSummary.builder(name)
        .description(help)
        .serviceLevelObjectives(buckets)
        .register(registry);
  }

  // ------------------------------------------------------------------ slots (under the lock)

  /** A meter and what it reads now: a live migration or an outcome. */
  private static final class Slot {
    @Nullable Meter meter;
    volatile Holder owner;

    Slot(Holder owner) {
      this.owner = owner;
    }
  }

  /** What a per-migration meter is: its name, help, tags and kind. */
  private record MeterSpec(Meter.Id id, String help, boolean counter, @Nullable String unit) {}

  private static MeterSpec gaugeId(String name, String help, Tags tags) {
    return new MeterSpec(new Meter.Id(name, tags, null, help, Meter.Type.GAUGE), help, false, null);
  }

  private static MeterSpec functionCounterId(
      String name, String help, Tags tags, @Nullable String unit) {
    return new MeterSpec(
        new Meter.Id(name, tags, unit, help, Meter.Type.COUNTER), help, true, unit);
  }

  /**
   * Registers a meter that reads {@code owner}, or hands an existing meter of the same id to it (a
   * migration that took a finished one's name, say): the meter goes when its last owner does.
   */
  private void register(Holder owner, MeterSpec spec, ToDoubleFunction<Holder> value) {
    Slot slot = slots.get(spec.id());
    if (slot == null) {
      Slot made = new Slot(owner);
      Tags tags = Tags.of(spec.id().getTagsAsIterable());
      made.meter =
          spec.counter()
              ? FunctionCounter.builder(
                      spec.id().getName(), made, s -> value.applyAsDouble(s.owner))
                  .description(spec.help())
                  .baseUnit(spec.unit())
                  .tags(tags)
                  .register(registry)
              : Gauge.builder(spec.id().getName(), made, s -> value.applyAsDouble(s.owner))
                  .description(spec.help())
                  .tags(tags)
                  .strongReference(true)
                  .register(registry);
      slots.put(spec.id(), made);
    } else {
      slot.owner = owner;
    }
    owner.held().add(spec.id());
  }

  /** Removes the meters {@code owner} still reads. */
  private void release(Holder owner) {
    for (Meter.Id id : owner.held()) {
      Slot slot = slots.get(id);
      if (slot != null && slot.owner == owner) {
        slots.remove(id);
        if (slot.meter != null) {
          registry.remove(slot.meter);
        }
      }
    }
    owner.held().clear();
  }

  private Gauge phaseGauge(String name, String help, Bucket bucket) {
    return Gauge.builder(name, live, migrations -> count(migrations, bucket))
        .description(help)
        .strongReference(true)
        .register(registry);
  }

  private static double count(Map<String, Live> migrations, Bucket bucket) {
    int n = 0;
    for (Live m : migrations.values()) {
      if (m.bucket == bucket) {
        n++;
      }
    }
    return n;
  }

  // ------------------------------------------------------------------ helpers

  private static Tags handlerTags(VirtualMachineInstanceMigration request, String node) {
    return Tags.of("namespace", request.namespace(), "name", request.vmiName(), "node", node);
  }

  private static Tags startTags(VirtualMachineInstanceMigration request, String node) {
    return Tags.of(
        "node", node,
        "namespace", request.namespace(),
        "name", request.vmiName(),
        "migration_name", request.name());
  }

  private static double seconds(Instant from, Instant to) {
    double seconds = Duration.between(from, to).toNanos() / 1e9;
    return Math.max(0, seconds);
  }

  /** KubeVirt's spelling of a phase: {@code TARGET_READY} is {@code TargetReady}. */
  static String wireName(MigrationPhase phase) {
    StringBuilder wire = new StringBuilder();
    for (String word : phase.name().split("_")) {
      wire.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
    }
    return wire.toString();
  }

  /** The label of a directive's kind: {@code SetMaxDowntime}, {@code Throttle}, … */
  static String kind(Directive directive) {
    return directive.getClass().getSimpleName();
  }

  /** Something that reads meters: it knows which, to let them go. */
  private interface Holder {
    List<Meter.Id> held();
  }

  /** A migration not yet ended, as the events told it. */
  private static final class Live implements Holder {
    final String uid;
    final VirtualMachineInstanceMigration request;
    final Instant created;
    final boolean createdKnown;
    final List<Meter.Id> held = new ArrayList<>();
    volatile Bucket bucket = Bucket.UNSET;
    volatile String sourceNode = UNKNOWN_NODE;
    volatile @Nullable ProgressSample sample;
    volatile @Nullable Instant started;
    boolean progressRegistered;

    Live(
        String uid,
        VirtualMachineInstanceMigration request,
        Instant created,
        boolean createdKnown) {
      this.uid = uid;
      this.request = request;
      this.created = created;
      this.createdKnown = createdKnown;
    }

    double sampleValue(ToDoubleFunction<ProgressSample> value) {
      ProgressSample last = sample;
      return last == null ? 0 : value.applyAsDouble(last);
    }

    double startedSeconds() {
      Instant at = started;
      return at == null ? Double.NaN : at.getEpochSecond();
    }

    @Override
    public List<Meter.Id> held() {
      return held;
    }
  }

  /** What stays of a finished migration. */
  private static final class Outcome implements Holder {
    final String uid;
    final MigrationState state;
    final List<Meter.Id> held = new ArrayList<>();
    volatile double startSeconds = Double.NaN;
    volatile double endSeconds = Double.NaN;
    volatile double downtimeSeconds = Double.NaN;

    Outcome(String uid, MigrationState state) {
      this.uid = uid;
      this.state = state;
    }

    @Override
    public List<Meter.Id> held() {
      return held;
    }
  }
}
