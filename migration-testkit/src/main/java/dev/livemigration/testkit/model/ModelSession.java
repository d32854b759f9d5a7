package dev.livemigration.testkit.model;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.TargetEndpoint;
import dev.livemigration.core.Scheduler;
import dev.livemigration.core.SwitchoverPoint;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One modelled migration; advanced lazily to the clock's time whenever it is asked.
 *
 * <p>Like a hypervisor's dirty bitmap (and the data plane's stale set), the remaining data is what
 * the current pass has yet to send; what the guest dirties meanwhile joins the remainder when the
 * pass ends, or at a switch to post-copy, each page once: a page dirtied before this pass sent it
 * is already in the remainder. So the remaining data never exceeds the total.
 */
final class ModelSession implements MigrationSession {
  private static final double NANOS = 1e9;

  private final MigrationSpec spec;
  private final GuestProfile guest;
  private final Scheduler clock;
  private final long linkSpeed;
  private final long total;
  private final SwitchoverPoint switchover;

  private ProgressSample.Status status = ProgressSample.Status.ACTIVE;
  private MigrationMode mode = MigrationMode.PRE_COPY;
  private @Nullable Instant startedAt;
  private @Nullable Instant lastUpdate;
  private @Nullable Instant endedAt;
  private long iteration;
  private double passSize;
  private double passRemaining;
  private double written;
  private double dirty;
  private boolean stopping;
  private double pausedFor;
  private double processed;
  private int throttle;
  private long bandwidth;
  private Duration maxDowntime;
  private @Nullable Duration downtime;
  private @Nullable String failure;

  ModelSession(MigrationSpec spec, GuestProfile guest, Scheduler clock, long linkSpeed) {
    this.spec = spec;
    this.clock = clock;
    this.linkSpeed = linkSpeed;
    this.total = spec.vmi().bytesToCopy();
    // A guest writes within its memory: a working set larger than what is copied is all of it.
    this.guest =
        guest.workingSet() <= total
            ? guest
            : new GuestProfile(guest.dirtyRate(), total, guest.spread());
    long limit = spec.configuration().bandwidthPerMigration().bytes();
    this.bandwidth = limit == 0 ? linkSpeed : Math.min(limit, linkSpeed);
    this.maxDowntime = spec.initialMaxDowntime();
    this.switchover = SwitchoverPoint.of(spec.configuration(), total);
  }

  @Override
  public TargetEndpoint prepareTarget() {
    Map<Integer, Integer> ports =
        spec.method() == MigrationMethod.BLOCK_MIGRATION
            ? Map.of(49152, 49152, 49153, 49153)
            : Map.of(49152, 49152);
    return new TargetEndpoint(spec.targetAddress(), ports, "model-target-" + spec.vmi().name());
  }

  @Override
  public void start() {
    startedAt = clock.now();
    lastUpdate = startedAt;
    iteration = 1;
    beginPass(total);
  }

  @Override
  public ProgressSample sample() {
    advance();
    ProgressSample.Builder sample =
        ProgressSample.builder()
            .status(status)
            .elapsed(Duration.between(startedAt, endedAt != null ? endedAt : lastUpdate))
            .dataTotal(total)
            .dataProcessed((long) processed)
            .dataRemaining(status == ProgressSample.Status.ACTIVE ? (long) passRemaining : 0)
            .dirtyRate(dirtying() ? (long) guest.dirtyRateAt(throttle) : 0)
            .transferRate(bandwidth)
            .iteration(iteration)
            .mode(mode)
            .throttlePercent(throttle);
    if (downtime != null) {
      sample.downtime(downtime);
    }
    if (failure != null) {
      sample.failureReason(failure);
    }
    return sample.build();
  }

  @Override
  public void apply(Directive directive) {
    advance();
    if (directive instanceof Directive.Throttle t) {
      throttle = t.percent();
    } else if (directive instanceof Directive.SetMaxDowntime d) {
      maxDowntime = d.maxDowntime();
    } else if (directive instanceof Directive.SetBandwidth b) {
      bandwidth = b.bytesPerSecond() == 0 ? linkSpeed : Math.min(b.bytesPerSecond(), linkSpeed);
    } else if (directive instanceof Directive.SwitchToPostCopy && dirtying()) {
      mode = MigrationMode.POST_COPY;
      beginLastPass();
      downtime = ModelBackend.POST_COPY_SWITCH_DOWNTIME;
    } else if (directive instanceof Directive.PauseGuest && dirtying()) {
      // Paused, the guest dirties nothing more: what this pass has left and what it dirtied behind
      // the pass is the last of it, sent while the guest waits.
      mode = MigrationMode.PAUSED;
      beginLastPass();
      stopping = true;
      pausedFor = passRemaining / bandwidth;
      if (passRemaining == 0) {
        endPass(clock.now());
      }
    } else if (directive instanceof Directive.Abort) {
      abort();
    }
  }

  @Override
  public void abort() {
    advance();
    if (status == ProgressSample.Status.ACTIVE && mode != MigrationMode.POST_COPY) {
      status = ProgressSample.Status.FAILED;
      failure =
          mode == MigrationMode.PAUSED
              ? "aborted; the guest runs again on " + spec.source().name()
              : "aborted; the guest keeps running on " + spec.source().name();
    }
  }

  /** Once the guest stops dirtying the source: the pass's rest and what it dirtied behind it. */
  private void beginLastPass() {
    beginPass(passRemaining + dirtyAlreadySent());
    dirty = 0;
    written = 0;
    iteration++;
  }

  private void beginPass(double bytes) {
    passSize = bytes;
    passRemaining = bytes;
  }

  /**
   * Returns how many of the dirty bytes this pass has sent already: the rest are still in its
   * remainder and must not be counted again. Writes land anywhere in the working set, independent
   * of the order pages are sent, so the dirty bytes are unsent in the share of the working set that
   * the pass has yet to send: the pass covers {@code min(passSize, workingSet)} of the set (all of
   * it in the first pass, which sends all memory; later passes send only pages of the set).
   */
  private double dirtyAlreadySent() {
    double set = guest.workingSet();
    if (set <= 0 || passSize <= 0) {
      return dirty;
    }
    double unsentShare = Math.min(passSize, set) / set * (passRemaining / passSize);
    return dirty * (1 - Math.min(1, unsentShare));
  }

  /** Whether the guest runs on the source and dirties memory: pre-copy before the pause. */
  private boolean dirtying() {
    return mode == MigrationMode.PRE_COPY && !stopping;
  }

  /** Moves the model forward to the clock's time, pass by pass. */
  private void advance() {
    if (lastUpdate == null || status != ProgressSample.Status.ACTIVE) {
      return;
    }
    Instant now = clock.now();
    double left = Duration.between(lastUpdate, now).toNanos() / NANOS;
    lastUpdate = now;
    while (left > 0 && status == ProgressSample.Status.ACTIVE) {
      double passTime = passRemaining / bandwidth;
      double spent = Math.min(left, passTime);
      left -= spent;
      double sent = spent >= passTime ? passRemaining : bandwidth * spent;
      processed += sent;
      passRemaining -= sent;
      if (dirtying()) {
        written += guest.dirtyRateAt(throttle) * spent;
        dirty = guest.dirtyAfter(written);
      }
      if (spent >= passTime) {
        Instant end = now.minusNanos((long) (left * NANOS));
        endPass(end);
        if (status == ProgressSample.Status.COMPLETED) {
          endedAt = end;
        }
      }
    }
  }

  /**
   * Ends a pass, at {@code at}, as the data plane does: after post-copy's push or the stop-and-copy
   * pass the job completes; after a pre-copy pass the next pass sends what the guest dirtied during
   * this one, and the guest is paused for it (the stop-and-copy pass, counted as an iteration) once
   * the same {@link SwitchoverPoint} rule as the data plane's says so: the rest fits the allowed
   * downtime and stopped falling.
   */
  private void endPass(Instant at) {
    passRemaining = 0;
    if (mode == MigrationMode.POST_COPY) {
      status = ProgressSample.Status.COMPLETED;
      return;
    }
    if (stopping) {
      downtime = Duration.ofNanos((long) (pausedFor * NANOS));
      status = ProgressSample.Status.COMPLETED;
      return;
    }
    SwitchoverPoint.Decision decision =
        switchover.atPassEnd(
            (long) passSize,
            (long) dirty,
            bandwidth,
            maxDowntime,
            Duration.between(Objects.requireNonNull(startedAt), at));
    double pause = dirty / bandwidth;
    iteration++;
    beginPass(dirty);
    dirty = 0;
    written = 0;
    if (decision.switches()) {
      stopping = true;
      pausedFor = pause;
      if (passRemaining == 0) {
        endPass(at);
      }
    }
  }
}
