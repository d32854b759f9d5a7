package dev.livemigration.core;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.BackendException;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.TargetEndpoint;
import dev.livemigration.core.ScriptedBackend.Step;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One migration of the {@link ScriptedBackend}, following a deterministic model in the clock's
 * time:
 *
 * <ul>
 *   <li>Pre-copy sends the data to copy ({@code dataTotal}: memory plus node-local disks) in passes
 *       at the transfer rate (the script's link rate, capped by the bandwidth limit), while the
 *       guest dirties memory at its dirty rate, reduced by the throttle ({@code dirty × (100 −
 *       throttle) / 100}). Each pass sends what the previous one left dirty; pass 1 sends
 *       everything. The data remaining is what the pass has still to send plus what was dirtied
 *       since it began, at most the total.
 *   <li>Pre-copy converges (the job completes) at the end of a pass that leaves no more than the
 *       transfer rate × max downtime to send.
 *   <li>{@code SwitchToPostCopy} switches the mode; the job then completes once the data remaining
 *       at the switch has been sent at the transfer rate, whatever the guest dirties.
 *   <li>{@code PauseGuest} stops the guest's dirtying; the job completes at the end of the pass
 *       under way, with the time paused as its downtime.
 *   <li>{@code abort()} makes the next sample {@code FAILED} (or {@code COMPLETED} when the script
 *       says the abort comes too late); in post-copy it throws, as libvirt does.
 *   <li>{@code Throttle} and {@code SwitchToPostCopy} throw unless the effective configuration
 *       allows them, as libvirt refuses them without the migration's flags.
 * </ul>
 *
 * The engine calls a session from one thread at a time; the methods are synchronized anyway.
 */
final class ScriptedSession implements MigrationSession {
  private final ScriptedBackend backend;
  private final MigrationSpec spec;
  private final Script script;
  private final Supplier<Instant> clock;
  private final int portBase;
  private final double total;

  private @Nullable TargetEndpoint endpoint;
  private @Nullable Instant startedAt;
  private double time;
  private double transferRate;
  private Duration maxDowntime;
  private int throttle;
  private long iteration;
  private double passSize;
  private double sentInPass;
  private double dirtied;
  private double processed;
  private double postCopyRemaining;
  private double pausedAt;
  private MigrationMode mode = MigrationMode.PRE_COPY;
  private ProgressSample.Status status = ProgressSample.Status.ACTIVE;
  private @Nullable Duration downtime;
  private boolean abortRequested;
  private boolean closed;
  private int samples;

  ScriptedSession(
      ScriptedBackend backend,
      MigrationSpec spec,
      Script script,
      Supplier<Instant> clock,
      int portBase) {
    this.backend = backend;
    this.spec = spec;
    this.script = script;
    this.clock = clock;
    this.portBase = portBase;
    this.total = spec.vmi().bytesToCopy();
    this.maxDowntime = script.maxDowntime();
    this.transferRate = capped(spec.configuration().bandwidthPerMigration().bytes());
  }

  MigrationSpec spec() {
    return spec;
  }

  private double capped(long bandwidth) {
    return bandwidth == 0 ? script.linkRate() : Math.min(script.linkRate(), bandwidth);
  }

  private void step(Step step, @Nullable Object argument) {
    backend.record(this, step, argument);
    String failure = script.failures().get(step);
    if (failure != null && (step != Step.SAMPLE || samples == script.failOnSample())) {
      throw new BackendException(failure);
    }
  }

  @Override
  public synchronized TargetEndpoint prepareTarget() {
    step(Step.PREPARE_TARGET, null);
    endpoint =
        new TargetEndpoint(
            spec.targetAddress(),
            Map.of(portBase + 1, 0, portBase + 2, 49152, portBase + 3, 49153),
            "virt-launcher-" + spec.vmi().name() + "-" + spec.migrationUid().substring(0, 5));
    return endpoint;
  }

  @Override
  public synchronized void start() {
    step(Step.START, null);
    startedAt = clock.get();
    iteration = 1;
    passSize = total;
  }

  @Override
  public synchronized ProgressSample sample() {
    samples++;
    if (script.failures().containsKey(Step.SAMPLE) && samples == script.failOnSample()) {
      step(Step.SAMPLE, null);
    }
    advance();
    if (abortRequested && status == ProgressSample.Status.ACTIVE) {
      status =
          script.abortTooLate() ? ProgressSample.Status.COMPLETED : ProgressSample.Status.FAILED;
    }
    ProgressSample.Builder sample =
        ProgressSample.builder()
            .status(status)
            .elapsed(Duration.between(startedAt, clock.get()))
            .dataTotal((long) total)
            .dataProcessed((long) processed)
            .dataRemaining((long) Math.ceil(remaining()))
            .dirtyRate((long) effectiveDirtyRate())
            .transferRate((long) transferRate)
            .iteration(iteration)
            .mode(mode)
            .throttlePercent(throttle);
    if (downtime != null) {
      sample.downtime(downtime);
    }
    if (status == ProgressSample.Status.FAILED) {
      sample.failureReason("migration job aborted");
    }
    ProgressSample result = sample.build();
    backend.record(this, Step.SAMPLE, result);
    return result;
  }

  @Override
  public synchronized void apply(Directive directive) {
    step(Step.APPLY, directive);
    advance();
    if (directive instanceof Directive.Throttle throttle) {
      if (!spec.configuration().allowAutoConverge()) {
        throw new BackendException("auto-converge is not enabled for this migration");
      }
      this.throttle = throttle.percent();
    } else if (directive instanceof Directive.SwitchToPostCopy) {
      if (!spec.configuration().allowPostCopy()) {
        throw new BackendException("post-copy is not enabled for this migration");
      }
      if (status == ProgressSample.Status.ACTIVE && mode == MigrationMode.PRE_COPY) {
        postCopyRemaining = remaining();
        mode = MigrationMode.POST_COPY;
      }
    } else if (directive instanceof Directive.PauseGuest) {
      if (!spec.configuration().allowWorkloadDisruption()) {
        throw new BackendException("workload disruption is not allowed for this migration");
      }
      if (status == ProgressSample.Status.ACTIVE && mode == MigrationMode.PRE_COPY) {
        mode = MigrationMode.PAUSED;
        pausedAt = time;
      }
    } else if (directive instanceof Directive.SetBandwidth bandwidth) {
      transferRate = capped(bandwidth.bytesPerSecond());
    } else if (directive instanceof Directive.SetMaxDowntime downtime) {
      maxDowntime = downtime.maxDowntime();
    } else if (directive instanceof Directive.Abort) {
      abortRequested = true;
    }
  }

  @Override
  public synchronized void abort() {
    step(Step.ABORT, null);
    advance();
    if (mode == MigrationMode.POST_COPY) {
      throw new BackendException("cannot abort migration in post-copy mode");
    }
    abortRequested = true;
  }

  /** Gives an engine that adopts the migration the means to find this session again. */
  @Override
  public Map<String, String> resumeData() {
    return Map.of("uid", spec.migrationUid());
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    backend.closed(this);
    step(Step.CLOSE, null);
  }

  // ------------------------------------------------------------------ observations

  /** The endpoint {@link #prepareTarget()} returned. */
  synchronized TargetEndpoint endpoint() {
    if (endpoint == null) {
      throw new AssertionError("the target was not prepared");
    }
    return endpoint;
  }

  synchronized boolean isClosed() {
    return closed;
  }

  synchronized boolean wasStarted() {
    return startedAt != null;
  }

  synchronized boolean abortRequested() {
    return abortRequested;
  }

  synchronized MigrationMode mode() {
    return mode;
  }

  synchronized int throttle() {
    return throttle;
  }

  synchronized int samples() {
    return samples;
  }

  // ------------------------------------------------------------------ the model

  private double effectiveDirtyRate() {
    if (mode == MigrationMode.PAUSED) {
      return 0;
    }
    return script.dirtyRate() * (100 - throttle) / 100.0;
  }

  private double remaining() {
    if (status != ProgressSample.Status.ACTIVE) {
      return 0;
    }
    if (mode == MigrationMode.POST_COPY) {
      return postCopyRemaining;
    }
    return Math.min(total, passSize - sentInPass + dirtied);
  }

  /** Runs the model up to the clock's time. */
  private void advance() {
    if (startedAt == null) {
      return;
    }
    Duration since = Duration.between(startedAt, clock.get());
    double until = since.getSeconds() + since.getNano() / 1e9;
    for (int guard = 0; time < until && status == ProgressSample.Status.ACTIVE; guard++) {
      if (guard > 10_000_000) {
        throw new AssertionError("the model does not advance: " + this);
      }
      double left = until - time;
      if (transferRate <= 0) {
        dirtied = Math.min(total, dirtied + effectiveDirtyRate() * left);
        time = until;
      } else if (mode == MigrationMode.POST_COPY) {
        double needed = postCopyRemaining / transferRate;
        double spent = Math.min(needed, left);
        processed += Math.min(postCopyRemaining, transferRate * spent);
        postCopyRemaining = Math.max(0, postCopyRemaining - transferRate * spent);
        time += spent;
        if (needed <= left) {
          postCopyRemaining = 0;
          status = ProgressSample.Status.COMPLETED;
        }
      } else {
        double needed = (passSize - sentInPass) / transferRate;
        double spent = Math.min(needed, left);
        sentInPass = Math.min(passSize, sentInPass + transferRate * spent);
        processed += transferRate * spent;
        dirtied = Math.min(total, dirtied + effectiveDirtyRate() * spent);
        time += spent;
        if (needed <= left) {
          passSize = dirtied;
          sentInPass = 0;
          dirtied = 0;
          iteration++;
          double stopAndCopy = passSize / transferRate;
          if (stopAndCopy <= maxDowntime.toNanos() / 1e9 || mode == MigrationMode.PAUSED) {
            processed += passSize;
            passSize = 0;
            double paused = mode == MigrationMode.PAUSED ? time - pausedAt : 0;
            downtime = Duration.ofNanos((long) ((paused + stopAndCopy) * 1e9));
            status = ProgressSample.Status.COMPLETED;
          }
        }
      }
    }
  }

  @Override
  public synchronized String toString() {
    return "ScriptedSession["
        + spec.vmi().name()
        + " t="
        + time
        + " iteration="
        + iteration
        + " remaining="
        + remaining()
        + " mode="
        + mode
        + " status="
        + status
        + "]";
  }
}
