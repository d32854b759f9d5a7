package dev.livemigration.metrics;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.event.MigrationListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
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
  private final Object lock = new Object();

  /** Migrations not yet ended, by uid; read without the lock by the phase gauges. */
  private final Map<String, LiveMigration> live = new ConcurrentHashMap<>();

  /** Every per-migration meter, by id, with the migration or outcome it reads now (lock). */
  private final MeterSlots slots;

  /** Outcomes still exported (lock). */
  private final Outcomes outcomes;

  /** Global meters (phase gauges); removed by close (lock). */
  private final List<Meter> global = new ArrayList<>();

  private boolean closed;

  private MigrationMetrics(MeterRegistry registry, int finishedRetention) {
    this.registry = registry;
    this.slots = new MeterSlots(registry);
    this.outcomes = new Outcomes(slots, finishedRetention);
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
      return outcomes.size();
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
      slots.removeAll();
      outcomes.clear();
      live.clear();
      global.forEach(registry::remove);
      global.clear();
    }
  }

  // ------------------------------------------------------------------ events (under the lock)

  private void handle(MigrationEvent event) {
    if (event instanceof MigrationEvent.Queued queued) {
      LiveMigration m =
          new LiveMigration(queued.migrationUid(), queued.request(), queued.timestamp(), true);
      live.put(m.uid, m);
      m.bucket = Bucket.PENDING;
      transition(m, MigrationPhase.PENDING, queued.timestamp());
    } else if (event instanceof MigrationEvent.Scheduled scheduled) {
      LiveMigration m = liveOf(event, Bucket.RUNNING);
      m.sourceNode = scheduled.sourceNode();
      m.bucket = Bucket.RUNNING;
      if (m.createdKnown) {
        summary(QUEUE_WAIT, "Time from admission to a target being chosen.", PHASE_BUCKETS)
            .record(seconds(m.created, scheduled.timestamp()));
      }
      transition(m, MigrationPhase.SCHEDULED, scheduled.timestamp());
    } else if (event instanceof MigrationEvent.TargetReady ready) {
      LiveMigration m = liveOf(event, Bucket.RUNNING);
      m.bucket = Bucket.RUNNING;
      transition(m, MigrationPhase.TARGET_READY, ready.timestamp());
    } else if (event instanceof MigrationEvent.Running running) {
      LiveMigration m = liveOf(event, Bucket.RUNNING);
      m.bucket = Bucket.RUNNING;
      m.started = running.timestamp();
      transition(m, MigrationPhase.RUNNING, running.timestamp());
      slots.register(
          m,
          MeterSlots.gauge(
              START_TIME,
              "The time at which the migration started.",
              startTags(m.request, m.sourceNode)),
          owner -> ((LiveMigration) owner).startedSeconds());
    } else if (event instanceof MigrationEvent.Progress progress) {
      LiveMigration m = liveOf(event, Bucket.RUNNING);
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
  private LiveMigration liveOf(MigrationEvent event, Bucket bucket) {
    return live.computeIfAbsent(
        event.migrationUid(),
        uid -> {
          LiveMigration m = new LiveMigration(uid, event.request(), event.timestamp(), false);
          m.bucket = bucket;
          return m;
        });
  }

  private void registerProgress(LiveMigration m) {
    m.progressRegistered = true;
    Tags tags = handlerTags(m.request, m.sourceNode);
    slots.register(
        m,
        MeterSlots.functionCounter(
            DATA_TOTAL, "The total Guest OS data to be migrated to the new VM.", tags, null),
        owner -> ((LiveMigration) owner).sampleValue(ProgressSample::dataTotal));
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
        "1 while the migration is in post-copy (its link broken or not), 0 before.",
        tags,
        sample -> sample.mode().isPostCopy() ? 1 : 0);
  }

  private void progressGauge(
      LiveMigration m,
      String name,
      String help,
      Tags tags,
      ToDoubleFunction<ProgressSample> value) {
    slots.register(
        m, MeterSlots.gauge(name, help, tags), owner -> ((LiveMigration) owner).sampleValue(value));
  }

  private void end(MigrationEvent event, MigrationState state) {
    LiveMigration m = live.remove(event.migrationUid());
    if (m == null) {
      m = new LiveMigration(event.migrationUid(), event.request(), event.timestamp(), false);
    }
    slots.release(m);
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
    outcomes.keep(
        m.uid,
        m.request,
        state,
        source,
        state.startTimestamp().orElse(m.started),
        state.endTimestamp().orElse(event.timestamp()),
        downtime);
  }

  private void transition(LiveMigration m, MigrationPhase phase, Instant at) {
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

  private Gauge phaseGauge(String name, String help, Bucket bucket) {
    return Gauge.builder(name, live, migrations -> count(migrations, bucket))
        .description(help)
        .strongReference(true)
        .register(registry);
  }

  private static double count(Map<String, LiveMigration> migrations, Bucket bucket) {
    int n = 0;
    for (LiveMigration m : migrations.values()) {
      if (m.bucket == bucket) {
        n++;
      }
    }
    return n;
  }

  // ------------------------------------------------------------------ helpers

  static Tags handlerTags(VirtualMachineInstanceMigration request, String node) {
    return Tags.of("namespace", request.namespace(), "name", request.vmiName(), "node", node);
  }

  static Tags startTags(VirtualMachineInstanceMigration request, String node) {
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
}
