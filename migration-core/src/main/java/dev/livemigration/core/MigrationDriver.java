package dev.livemigration.core;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.Directive;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.Node;
import dev.livemigration.api.ProgressEstimate;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.FencedException;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.StrategyInput;
import dev.livemigration.api.spi.TargetEndpoint;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives the migrations this replica owns, one step at a time under each migration's monitor:
 * prepare the target and start, then a monitor turn per sample interval that samples the backend,
 * acts on cancels, enforces the timeouts and applies the strategy's directives, and finally the
 * end. Every change of state is written to the store first; a write the store refuses (another
 * replica adopted the migration) ends this replica's part at once.
 */
final class MigrationDriver {
  private static final Logger LOG = LoggerFactory.getLogger(MigrationDriver.class);

  static final String REFUSED_IN_POST_COPY =
      "cannot abort in post-copy: the guest already runs on the target and aborting would lose"
          + " it; the migration goes on";

  private final DefaultMigrationEngine engine;
  private final Timeouts timeouts;
  final Endings endings;

  MigrationDriver(DefaultMigrationEngine engine) {
    this.engine = engine;
    this.timeouts = new Timeouts(this);
    this.endings = new Endings(engine);
  }

  // ---------------------------------------------------------------- start

  void prepare(TrackedMigration m) {
    synchronized (m) {
      if (m.isTerminal()) {
        return;
      }
      try {
        if (m.cancelRequested) {
          endings.finishAborted(m);
          return;
        }
        Node source = engine.node(m.record().sourceNode(), "source");
        Node target = engine.dispatcher.chooseTarget(m, source);
        m.update(s -> s.phase(MigrationPhase.SCHEDULED).targetNode(target.name()));
        publish(
            m,
            new MigrationEvent.Scheduled(
                m.uid(), m.request, now(), source.name(), target.name(), replica()));
        m.update(s -> s.phase(MigrationPhase.PREPARING_TARGET));
        MigrationSession session =
            engine.backend.open(
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
            m,
            new MigrationEvent.TargetReady(
                m.uid(), m.request, now(), endpoint.address(), endpoint.ports(), replica()));
        if (m.cancelRequested) {
          endings.finishAborted(m);
          return;
        }
        session.start();
        m.keepResumeData(session.resumeData());
        Instant started = now();
        m.startWatching(started, started);
        m.update(s -> s.phase(MigrationPhase.RUNNING).startTimestamp(started));
        publish(m, new MigrationEvent.Running(m.uid(), m.request, started, replica()));
        LOG.info("Migration {} running from {} to {}", m, source.name(), target.name());
      } catch (FencedException e) {
        endings.lose(m, e);
        return;
      } catch (RuntimeException | Error e) {
        endings.failSafely(m, "could not start: " + describe(e));
        rethrowIfFatal(e);
        return;
      }
    }
    scheduleMonitor(m);
  }

  /**
   * Takes up a migration adopted from a replica that stopped: one that had not started ends as
   * failed with the guest on the source; one that had is resumed through the backend.
   */
  void adopt(MigrationRecord record, String previousOwner) {
    TrackedMigration m = engine.track(record);
    boolean resumed = false;
    synchronized (m) {
      try {
        publish(
            m,
            new MigrationEvent.Adopted(
                m.uid(), m.request, now(), previousOwner, engine.membership.replica()));
        LOG.warn(
            "Migration {} adopted from replica {} in phase {}", m, previousOwner, record.phase());
        MigrationPhase phase = record.phase();
        if (phase == MigrationPhase.PENDING) {
          endings.finishAborted(m);
        } else if (phase != MigrationPhase.TARGET_READY && phase != MigrationPhase.RUNNING) {
          endings.fail(
              m,
              "the engine that drove it (replica "
                  + previousOwner
                  + ") stopped before the"
                  + " migration started; nothing moved and the guest stays on "
                  + record.sourceNode(),
              GuestLocation.SOURCE);
        } else {
          resumed = resume(m, previousOwner);
        }
      } catch (FencedException e) {
        endings.lose(m, e);
      } catch (RuntimeException e) {
        endings.failSafely(
            m,
            "could not take over from replica " + previousOwner + ": " + describe(e),
            GuestLocation.UNKNOWN);
      }
    }
    if (resumed) {
      scheduleMonitor(m);
    }
  }

  private boolean resume(TrackedMigration m, String previousOwner) {
    MigrationRecord record = m.record();
    Node source = engine.node(record.sourceNode(), "source");
    String targetName =
        record.state().targetNode().orElseThrow(() -> new IllegalStateException("no target node"));
    Node target = engine.node(targetName, "target");
    MigrationSpec spec =
        new MigrationSpec(m.uid(), m.request, m.vmi, m.method, source, target, m.configuration);
    Optional<MigrationSession> session = engine.backend.resume(spec, record.resumeData());
    if (session.isEmpty()) {
      endings.fail(
          m,
          "the engine that drove it (replica "
              + previousOwner
              + ") stopped while it ran, and the "
              + engine.backend.id()
              + " backend cannot resume a migration after its engine"
              + " stopped; where the guest runs is unknown: check both hosts",
          GuestLocation.UNKNOWN);
      return false;
    }
    m.session = session.get();
    Instant now = now();
    m.startWatching(record.state().startTimestamp().orElse(now), now);
    m.update(s -> s.phase(MigrationPhase.RUNNING).startTimestamp(m.startedAt));
    LOG.info("Migration {} resumed from {} to {}", m, source.name(), target.name());
    return true;
  }

  // ---------------------------------------------------------------- monitor loop

  private void scheduleMonitor(TrackedMigration m) {
    engine.scheduler.schedule(engine.sampleInterval, () -> monitor(m));
  }

  /** One turn of the monitor loop: act on a cancel, sample, check timeouts, ask the strategy. */
  void monitor(TrackedMigration m) {
    synchronized (m) {
      if (m.isTerminal() || !engine.drives(m)) {
        return;
      }
      MigrationSession session = m.session;
      try {
        if (m.cancelRequested && m.abortSentAt == null) {
          abort(m, "cancelled on request", true);
        }
        ProgressSample sample = session.sample();
        m.remember(sample);
        DowntimeRamp ramp = m.ramp;
        ProgressEstimate estimate = m.estimator.next(sample, ramp == null ? null : ramp.current());
        if (LOG.isDebugEnabled()) {
          LOG.debug(
              "Migration {}: {} ({}); {}",
              m,
              Figures.of(sample),
              sample.mode(),
              Figures.of(estimate));
        }
        m.update(
            s -> {
              s.progress(sample).estimate(estimate);
              if (sample.mode().isPostCopy()) {
                // Post-copy cannot be undone: a later sample that leaves the mode out (a failed or
                // completed job) must not make the state claim the guest is whole on the source.
                s.mode(sample.mode());
              } else if (sample.mode() == MigrationMode.PAUSED
                  && m.state().mode() == MigrationMode.PRE_COPY) {
                s.mode(MigrationMode.PAUSED);
              }
              return s;
            });
        ProgressSample previous = m.lastSample;
        m.lastSample = sample;
        publish(
            m,
            new MigrationEvent.Progress(
                m.uid(), m.request, now(), sample, Optional.of(estimate), replica()));
        publishLinkChanges(m, previous, sample);
        switch (sample.status()) {
          case COMPLETED -> {
            endings.succeed(m);
            return;
          }
          case FAILED -> {
            endings.fail(
                m,
                m.abortReason != null
                    ? m.abortReason
                    : sample.failureReason().orElse("the backend reported a failure"));
            return;
          }
          case ACTIVE -> timeouts.steer(m, sample);
        }
      } catch (FencedException e) {
        endings.lose(m, e);
        return;
      } catch (RuntimeException | Error e) {
        if (!m.state().mode().isPostCopy()) {
          endings.abortQuietly(m);
        }
        endings.failSafely(m, "lost track of the migration: " + describe(e), GuestLocation.UNKNOWN);
        rethrowIfFatal(e);
        return;
      }
      if (m.isTerminal()) {
        return;
      }
    }
    scheduleMonitor(m);
  }

  /** Tells the listeners when a post-copy link broke, each reconnect attempt, and its recovery. */
  private void publishLinkChanges(
      TrackedMigration m, @Nullable ProgressSample previous, ProgressSample sample) {
    boolean wasPaused = previous != null && previous.mode() == MigrationMode.POST_COPY_PAUSED;
    boolean paused = sample.mode() == MigrationMode.POST_COPY_PAUSED;
    int attemptsBefore = wasPaused ? previous.reconnectAttempts() : 0;
    if (paused && !wasPaused) {
      String reason = sample.linkFailure().orElse("the link to the target broke");
      LOG.warn("Migration {}: post-copy link broke ({}); reconnecting", m, reason);
      publish(m, new MigrationEvent.LinkBroken(m.uid(), m.request, now(), reason, replica()));
    }
    if (paused && sample.reconnectAttempts() > attemptsBefore) {
      publish(
          m,
          new MigrationEvent.ReconnectAttempted(
              m.uid(), m.request, now(), sample.reconnectAttempts(), replica()));
    }
    boolean recovered =
        previous != null && sample.linkRecoveries() > previous.linkRecoveries()
            || wasPaused && sample.mode() == MigrationMode.POST_COPY;
    if (recovered) {
      int attempts = wasPaused ? Math.max(1, previous.reconnectAttempts()) : 1;
      LOG.info("Migration {}: post-copy link recovered after {} attempt(s)", m, attempts);
      publish(m, new MigrationEvent.LinkRecovered(m.uid(), m.request, now(), attempts, replica()));
    }
  }

  void steerWithStrategy(TrackedMigration m, ProgressSample sample) {
    Instant now = now();
    Directive directive =
        engine.strategy.decide(
            new StrategyInput(
                sample,
                m.historyBefore(sample),
                m.configuration,
                Duration.between(m.startedAt, now),
                m.completionTimeout));
    apply(m, directive, "strategy " + engine.strategy.id() + " at " + Figures.of(sample));
  }

  /**
   * Has the backend apply a directive the configuration allows; returns whether it took it (or
   * already had). The switch to post-copy and the guest's pause are written to the state with their
   * reason.
   */
  boolean apply(TrackedMigration m, Directive directive, String reason) {
    if (directive instanceof Directive.Continue || directive.equals(m.lastDirective)) {
      return true;
    }
    if (directive instanceof Directive.Abort abort) {
      abort(m, abort.reason(), false);
      return true;
    }
    if (directive instanceof Directive.Throttle && !m.configuration.allowAutoConverge()) {
      LOG.debug("Migration {}: {} ignored, allowAutoConverge is false", m, directive);
      return false;
    }
    boolean postCopy = directive instanceof Directive.SwitchToPostCopy;
    boolean pause = directive instanceof Directive.PauseGuest;
    if (postCopy && (!m.configuration.allowPostCopy() || m.disruptionRequested())) {
      LOG.debug("Migration {}: {} ignored, post-copy not allowed or requested", m, directive);
      return m.postCopyRequested;
    }
    if (pause && (!m.configuration.allowWorkloadDisruption() || m.disruptionRequested())) {
      LOG.debug("Migration {}: {} ignored, workload disruption not allowed or done", m, directive);
      return m.pauseRequested;
    }
    m.postCopyRequested |= postCopy;
    m.pauseRequested |= pause;
    try {
      m.session.apply(directive);
    } catch (RuntimeException e) {
      // A directive that cannot be applied leaves the migration as it was; it may still finish.
      LOG.warn("Migration {}: {} could not be applied: {}", m, directive, describe(e));
      m.postCopyRequested &= !postCopy;
      m.pauseRequested &= !pause;
      return false;
    }
    m.lastDirective = directive;
    LOG.info("Migration {}: applied {} ({})", m, directive, reason);
    if (postCopy || pause) {
      m.update(s -> s.modeReason(reason));
    }
    ProgressSample before = m.lastSample;
    m.recordDecision(
        now(), before == null ? directive.toString() : Figures.change(directive, before), reason);
    publish(
        m,
        new MigrationEvent.DirectiveApplied(
            m.uid(), m.request, now(), directive, reason, replica()));
    return true;
  }

  // ---------------------------------------------------------------- aborts

  /** Asks the backend to stop; the next samples tell whether it did. */
  void abort(TrackedMigration m, String reason, boolean onRequest) {
    if (onRequest) {
      endings.publishAbortRequest(m);
    }
    // Once the switch was applied the guest may already run on the target, even before a sample
    // shows post-copy: a cancellation is refused from then on.
    if (m.state().mode().isPostCopy() || (onRequest && m.postCopyRequested)) {
      if (onRequest) {
        refuseAbortInPostCopy(m);
      }
      return;
    }
    LOG.warn("Migration {}: aborting, {}", m, reason);
    m.recordDecision(now(), "abort", reason);
    m.abortReason = reason;
    m.abortSentAt = now();
    if (onRequest) {
      m.update(s -> s.abortRequested(true).abortStatus(AbortStatus.ABORTING));
    }
    m.session.abort();
  }

  private void refuseAbortInPostCopy(TrackedMigration m) {
    if (m.state().abortStatus().orElse(null) == AbortStatus.FAILED) {
      return;
    }
    m.update(
        s ->
            s.abortRequested(true)
                .abortStatus(AbortStatus.FAILED)
                .failureReason(REFUSED_IN_POST_COPY));
    LOG.warn("Migration {}: abort refused, it is in post-copy", m);
  }

  // ---------------------------------------------------------------- helpers

  Instant now() {
    return engine.scheduler.now();
  }

  private String replica() {
    return engine.membership.replica();
  }

  /**
   * Publishes an event of {@code m}. A replica whose lease renewal is overdue (it was paused, or
   * starved) may have lost the migration while a step of it was under way: it asks the store first
   * and stops there if another replica took the migration over.
   *
   * @throws FencedException if the store says that another replica drives the migration now
   */
  private void publish(TrackedMigration m, MigrationEvent event) {
    if (engine.membership.overdue()) {
      long stored =
          engine.store.find(m.uid()).map(MigrationRecord::fencingToken).orElse(Long.MIN_VALUE);
      if (stored != m.record().fencingToken()) {
        throw new FencedException(
            "replica "
                + replica()
                + " was overdue on its lease and the migration has another owner now");
      }
    }
    engine.publisher.publish(event);
  }

  /** Ends nothing more: the migration has been failed; only the JVM's own errors go on. */
  private static void rethrowIfFatal(Throwable e) {
    if (e instanceof VirtualMachineError fatal) {
      throw fatal;
    }
  }

  static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }
}
