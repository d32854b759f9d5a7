package dev.livemigration.libvirt;

import dev.livemigration.api.Directive;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.BackendException;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.TargetEndpoint;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Domain.GetJobStatsFlags;
import org.libvirt.DomainJobStats;
import org.libvirt.LibvirtException;
import org.libvirt.TypedParameter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A libvirt migration taken over from an engine that stopped ({@link LibvirtBackend#resume}). It
 * holds no migration call: each {@link #sample()} reads what the hosts hold now and reports it.
 *
 * <ul>
 *   <li>The source daemon has a migration job for the domain (a peer-to-peer job goes on after the
 *       client that started it died): ACTIVE, from the job's statistics.
 *   <li>The domain runs on the target and is gone or shut off on the source: COMPLETED, with the
 *       target's completed-job statistics when libvirt still has them (read with {@code
 *       KEEP_COMPLETED}).
 *   <li>It runs on the source with no job and not on the target: FAILED, the job ended while no
 *       engine watched it (libvirt aborts a managed migration when its client dies).
 *   <li>Post-copy's link broke (the source paused with {@code VIR_DOMAIN_PAUSED_POSTCOPY_FAILED}):
 *       the session resumes it itself, as {@link LibvirtSession} does ({@link PostCopyRecovery}, on
 *       a thread of its own with the flags of the resume data and the parameters planned again from
 *       the migration's spec), and reports {@code POST_COPY_PAUSED} until the link is back; FAILED,
 *       the guest is lost, when the recovery budget runs out.
 *   <li>Anything else (neither host runs it, or both do without a job) is re-read for {@link
 *       #SETTLE}, as libvirt may be between two steps; then FAILED, saying what each host holds and
 *       that an operator must look.
 * </ul>
 *
 * {@link #abort()} and the directives act on the source daemon's job, as for a session that started
 * it.
 */
final class ResumedLibvirtSession implements MigrationSession {
  private static final Logger LOG = LoggerFactory.getLogger(ResumedLibvirtSession.class);

  /** How long an unclear picture (neither or both hosts run the domain) is re-read. */
  static final Duration SETTLE = Duration.ofSeconds(5);

  private final MigrationSpec spec;
  private final HostConnection source;
  private final HostConnection target;
  private final ResumeData data;
  private final LibvirtBackend.Settings settings;
  private final String description;
  private final long createdNanos = System.nanoTime();

  private ProgressSample lastActive = ProgressSample.builder().build();
  private @Nullable ProgressSample ended;
  private boolean inPostCopy;
  private boolean abortRequested;
  private boolean pauseRequested;
  private long unclearSinceNanos;
  private @Nullable PostCopyRecovery recovery;
  private @Nullable Thread recoveryThread;
  private volatile @Nullable BackendException recoveryFailure;

  ResumedLibvirtSession(
      MigrationSpec spec,
      HostConnection source,
      HostConnection target,
      ResumeData data,
      LibvirtBackend.Settings settings) {
    this.spec = spec;
    this.settings = settings;
    this.source = source;
    this.target = target;
    this.data = data;
    this.description =
        "domain '"
            + data.domainName()
            + "'"
            + (data.domainUuid().isEmpty() ? "" : " (" + data.domainUuid() + ")")
            + " from "
            + spec.source().name()
            + " to "
            + spec.target().name();
  }

  String description() {
    return description;
  }

  @Override
  public TargetEndpoint prepareTarget() {
    throw notForResumed("prepareTarget");
  }

  @Override
  public void start() {
    throw notForResumed("start");
  }

  private BackendException notForResumed(String call) {
    return new BackendException(
        call
            + " is not called on a resumed migration: the migration of "
            + description
            + " was started by an engine that stopped, and is followed as it is");
  }

  @Override
  public synchronized ProgressSample sample() {
    ProgressSample done = ended;
    if (done != null) {
      return done;
    }
    BackendException lost = recoveryFailure;
    if (lost != null) {
      return end(failed(lost.getMessage(), GuestLocation.UNKNOWN), "failed");
    }
    DomainPresence onSource = presence(source, true);
    Thread resuming = recoveryThread;
    if (onSource.isPostCopyFailed() || resuming != null && resuming.isAlive()) {
      unclearSinceNanos = 0;
      if (resuming == null) {
        startRecovery();
      }
      inPostCopy = true;
      PostCopyRecovery watching = Objects.requireNonNull(recovery);
      watching.observeSource();
      JobStats job = onSource.job();
      ProgressSample sample =
          job != null && job.active()
              ? job.toSample(ProgressSample.Status.ACTIVE, mode(), elapsed())
              : ProgressSample.builder().from(lastActive).elapsed(elapsed()).build();
      sample = watching.decorate(sample);
      lastActive = sample;
      return sample;
    }
    if (onSource.migrating()) {
      unclearSinceNanos = 0;
      if (onSource.isPostCopySource() && !inPostCopy) {
        inPostCopy = true;
        LOG.info("Migration of {} is in post-copy: the guest runs on the target", description);
      }
      JobStats job = Objects.requireNonNull(onSource.job());
      ProgressSample sample =
          decorate(job.toSample(ProgressSample.Status.ACTIVE, mode(), elapsed()));
      lastActive = sample;
      return sample;
    }
    DomainPresence onTarget = presence(target, false);
    if (pauseRequested) {
      // The guest this session paused must run wherever the job left it (see LibvirtSession).
      if (onTarget.active() && !onSource.active()) {
        onTarget = resumeIfPaused(target, onTarget, "completed");
      } else if (onSource.active() && !onTarget.active() && !onSource.isPostCopySource()) {
        onSource = resumeIfPaused(source, onSource, "failed");
      }
    }
    if (onTarget.holdsGuest() && !onSource.active()) {
      return end(completedSample(), "completed: the guest runs on " + target.node());
    }
    if (onSource.holdsGuest() && !onTarget.holdsGuest()) {
      return end(failed(endedOnSource(onSource), GuestLocation.SOURCE), "failed");
    }
    long now = System.nanoTime();
    if (unclearSinceNanos == 0) {
      unclearSinceNanos = now;
    }
    if (now - unclearSinceNanos < SETTLE.toNanos()) {
      LOG.debug(
          "Migration of {}: {} on {}, {} on {}; reading again",
          description,
          onSource.describe(),
          source.node(),
          onTarget.describe(),
          target.node());
      return ProgressSample.builder().from(lastActive).elapsed(elapsed()).build();
    }
    String where =
        onSource.describe()
            + " on "
            + source.node()
            + " and "
            + onTarget.describe()
            + " on "
            + target.node();
    String reason =
        !onSource.active() && !onTarget.active()
            ? "the guest's whereabouts are unknown: its migration ended while no engine watched it,"
                + " and domain '"
                + data.domainName()
                + "' is "
                + where
                + "; it needs an operator"
            : "domain '"
                + data.domainName()
                + "' is "
                + where
                + ", with no migration job, since its engine stopped; it needs an operator";
    return end(failed(reason, GuestLocation.UNKNOWN), "failed");
  }

  /**
   * Starts resuming the paused post-copy found on the source, on a thread of its own: the resume
   * call blocks until the migration completes, and {@link #sample()} reads the hosts meanwhile.
   */
  private void startRecovery() {
    String uuid = uuid();
    PostCopyRecovery resumer =
        new PostCopyRecovery(description, source, target, uuid, settings.recovery());
    recovery = resumer;
    MigrationPlan planned = MigrationPlan.of(spec, data.peerToPeer(), 0, false);
    int flags = data.flags() != 0 ? data.flags() : planned.flags();
    TypedParameter[] parameters = planned.parameters().toArray(TypedParameter[]::new);
    String why =
        "the migration connection broke in post-copy: the source was found paused after post-copy"
            + " failed when this engine took the migration over";
    Thread thread =
        new Thread(
            () -> {
              try {
                resumer.recover(
                    why,
                    () -> {
                      Connect own = source.openSeparate();
                      try {
                        Domain moving = own.domainLookupByUUIDString(uuid);
                        try {
                          int resumeFlags = flags | MigrationPlan.POSTCOPY_RESUME;
                          if (data.peerToPeer()) {
                            moving.migrateToURI(target.uri(), parameters, resumeFlags);
                          } else {
                            Domain moved =
                                moving.migrate(target.connect(), parameters, resumeFlags);
                            if (moved != null) {
                              moved.free();
                            }
                          }
                        } finally {
                          moving.free();
                        }
                      } finally {
                        source.closeQuietly(own);
                      }
                    });
                LOG.info("Resumed the broken post-copy of {}", description);
              } catch (BackendException e) {
                recoveryFailure = e;
              } catch (RuntimeException e) {
                recoveryFailure =
                    new BackendException(
                        "resuming the post-copy migration of " + description + " failed: " + e, e);
              }
            },
            "libvirt-postcopy-resume-" + data.domainName());
    thread.setDaemon(true);
    // Noted here, not on the thread, so that this sample already says POST_COPY_PAUSED.
    resumer.breakFound(why);
    recoveryThread = thread;
    thread.start();
  }

  private ProgressSample decorate(ProgressSample sample) {
    PostCopyRecovery resumer = recovery;
    return resumer == null ? sample : resumer.decorate(sample);
  }

  private String endedOnSource(DomainPresence onSource) {
    String reason =
        abortRequested
            ? "the migration job was aborted; the guest runs on " + source.node()
            : "the migration job ended while no engine watched it; the guest runs on "
                + source.node();
    if (!onSource.isRunning()) {
      reason += " (" + onSource.describe() + ")";
    }
    if (!data.peerToPeer() && !abortRequested) {
      reason +=
          "; it was a managed (client-driven) migration, which libvirt aborts when the engine that"
              + " drove it stops";
    }
    return reason;
  }

  private ProgressSample end(ProgressSample sample, String what) {
    ended = sample;
    if (sample.status() == ProgressSample.Status.COMPLETED) {
      LOG.info("Resumed migration of {} {}", description, what);
    } else {
      LOG.warn(
          "Resumed migration of {} {}: {}", description, what, sample.failureReason().orElse(""));
    }
    return sample;
  }

  /** The target's statistics of the finished job (with the downtime), else what was seen last. */
  private ProgressSample completedSample() {
    try {
      Domain moved = target.call(this::lookup);
      try {
        // Kept, so that `virsh domjobinfo --completed` and other clients still see them.
        DomainJobStats stats =
            moved.getJobStats(GetJobStatsFlags.COMPLETED | GetJobStatsFlags.KEEP_COMPLETED);
        JobStats job = JobStats.of(stats.type, stats.stats);
        if (job.type() == JobStats.COMPLETED && job.find("data_total").isPresent()) {
          return decorate(
              ProgressSample.builder()
                  .from(job.toSample(ProgressSample.Status.COMPLETED, mode(), elapsed()))
                  .guestLocation(GuestLocation.TARGET)
                  .build());
        }
        LOG.info(
            "libvirt on {} keeps no completed-job statistics for {}", target.node(), description);
      } finally {
        moved.free();
      }
    } catch (LibvirtException | BackendException e) {
      LOG.debug("No completed job statistics for {}: {}", description, e.getMessage());
    }
    return decorate(
        ProgressSample.builder()
            .from(lastActive)
            .status(ProgressSample.Status.COMPLETED)
            .mode(mode())
            .elapsed(elapsed())
            .dataRemaining(0)
            .guestLocation(GuestLocation.TARGET)
            .build());
  }

  private ProgressSample failed(String reason, GuestLocation location) {
    return ProgressSample.builder()
        .from(lastActive)
        .status(ProgressSample.Status.FAILED)
        .mode(mode())
        .elapsed(elapsed())
        .failureReason(reason)
        .guestLocation(location)
        .build();
  }

  private MigrationMode mode() {
    if (inPostCopy) {
      return MigrationMode.POST_COPY;
    }
    return pauseRequested ? MigrationMode.PAUSED : MigrationMode.PRE_COPY;
  }

  /** Resumes the domain on this host if it is paused; returns what the host holds then. */
  private DomainPresence resumeIfPaused(HostConnection host, DomainPresence presence, String how) {
    if (presence.state() != NativeLibvirt.STATE_PAUSED) {
      return presence;
    }
    LOG.info(
        "The guest of {} is {} on {} after the migration {}; resuming it",
        description,
        presence.describe(),
        host.node(),
        how);
    try {
      withDomain(
          host,
          "resuming the guest of " + description + " on " + host.node(),
          domain -> {
            domain.resume();
            return 0;
          });
    } catch (LibvirtBackendException e) {
      LOG.warn(
          "Could not resume the guest of {} on {}: {}", description, host.node(), e.getMessage());
    }
    return presence(host, host == source);
  }

  @Override
  public synchronized void apply(Directive directive) {
    if (directive instanceof Directive.Continue) {
      return;
    }
    if (directive instanceof Directive.Abort) {
      abort();
      return;
    }
    if (ended != null) {
      LOG.debug("{} not applied to {}: the migration has ended", directive, description);
      return;
    }
    String uuid = uuid();
    try {
      if (directive instanceof Directive.SetMaxDowntime downtime) {
        long millis = Math.max(1, downtime.maxDowntime().toMillis());
        withSourceDomain(
            "setting the maximum downtime of " + description,
            domain -> domain.migrateSetMaxDowntime(millis));
      } else if (directive instanceof Directive.SetBandwidth bandwidth) {
        NativeLibvirt.setMaxSpeed(
            source.nativePointer(),
            uuid,
            MigrationPlan.bandwidthMib(bandwidth.bytesPerSecond()),
            inPostCopy);
      } else if (directive instanceof Directive.SwitchToPostCopy) {
        if (!data.postCopyAllowed()) {
          throw new BackendException(
              "cannot switch "
                  + description
                  + " to post-copy: it was started without post-copy (allowPostCopy false)");
        }
        NativeLibvirt.startPostCopy(source.nativePointer(), uuid);
      } else if (directive instanceof Directive.PauseGuest) {
        if (inPostCopy) {
          LOG.info(
              "Not pausing the guest of {}: it is in post-copy and runs on the target",
              description);
        } else if (!pauseRequested) {
          withSourceDomain(
              "pausing the guest of " + description,
              domain -> {
                domain.suspend();
                return 0;
              });
          pauseRequested = true;
          LOG.info(
              "Paused the guest of {} on {} so that its migration completes",
              description,
              source.node());
        }
      } else if (directive instanceof Directive.Throttle throttle) {
        LOG.debug(
            "Throttle to {} % for {} is left to QEMU's auto-converge",
            throttle.percent(), description);
      }
    } catch (LibvirtBackendException e) {
      if (!presence(source, true).migrating()) {
        LOG.debug("{} not applied to {}: the job has ended", directive, description);
        return;
      }
      throw e;
    }
  }

  @Override
  public synchronized void abort() {
    if (ended != null) {
      return;
    }
    abortRequested = true;
    try {
      withSourceDomain("aborting the migration of " + description, Domain::abortJob);
      LOG.info("Asked libvirt to abort the resumed migration of {}", description);
    } catch (LibvirtBackendException e) {
      if (e.errorCode() != LibvirtBackendException.OPERATION_INVALID
          && e.errorCode() != LibvirtBackendException.NO_DOMAIN) {
        throw e;
      }
      if (inPostCopy) {
        throw new BackendException(
            "cannot abort the migration of " + description + " in post-copy: " + e.getMessage(), e);
      }
      LOG.debug("Nothing to abort for {}: {}", description, e.getMessage());
    }
  }

  /**
   * The job belongs to the source daemon, which goes on with it; a recovery under way starts no
   * more resume calls (one already running goes on).
   */
  @Override
  public void close() {
    PostCopyRecovery resumer = recovery;
    if (resumer != null) {
      resumer.stop();
    }
  }

  // ---------------------------------------------------------------- reading the hosts

  /** What one host holds of the domain now. */
  private DomainPresence presence(HostConnection host, boolean withJob) {
    String action =
        "looking for domain '"
            + data.domainName()
            + "' on "
            + host.node()
            + " to follow its migration from "
            + source.node()
            + " to "
            + target.node();
    try {
      Domain domain = host.call(this::lookup);
      try {
        if (domain.isActive() != 1) {
          return DomainPresence.SHUT_OFF;
        }
        NativeLibvirt.State state =
            NativeLibvirt.state(host.nativePointer(), domain.getUUIDString());
        JobStats job = null;
        if (withJob) {
          DomainJobStats stats = domain.getJobStats(0);
          job = JobStats.of(stats.type, stats.stats);
        }
        return new DomainPresence(true, true, state.state(), state.reason(), job);
      } finally {
        domain.free();
      }
    } catch (LibvirtException e) {
      return gone(LibvirtBackendException.of(action, e));
    } catch (LibvirtBackendException e) {
      return gone(e);
    }
  }

  /** A domain that vanished or stopped while it was read is gone or shut off; else the error. */
  private static DomainPresence gone(LibvirtBackendException e) {
    if (e.errorCode() == LibvirtBackendException.NO_DOMAIN) {
      return DomainPresence.ABSENT;
    }
    if (e.errorCode() == LibvirtBackendException.OPERATION_INVALID) {
      return DomainPresence.SHUT_OFF; // "domain is not running"
    }
    throw e;
  }

  private Domain lookup(Connect connection) throws LibvirtException {
    return data.domainUuid().isEmpty()
        ? connection.domainLookupByName(data.domainName())
        : connection.domainLookupByUUIDString(data.domainUuid());
  }

  private String uuid() {
    if (!data.domainUuid().isEmpty()) {
      return data.domainUuid();
    }
    try {
      Domain domain = source.call(this::lookup);
      try {
        return domain.getUUIDString();
      } finally {
        domain.free();
      }
    } catch (LibvirtException e) {
      throw LibvirtBackendException.of(
          "finding domain '" + data.domainName() + "' on " + source.node(), e);
    }
  }

  private interface DomainCall {
    int run(Domain domain) throws LibvirtException;
  }

  private void withSourceDomain(String action, DomainCall call) {
    withDomain(source, action, call);
  }

  private void withDomain(HostConnection host, String action, DomainCall call) {
    try {
      Domain domain = host.call(this::lookup);
      try {
        call.run(domain);
      } finally {
        domain.free();
      }
    } catch (LibvirtException e) {
      throw LibvirtBackendException.of(action, e);
    }
  }

  private Duration elapsed() {
    Instant started = data.startedAt();
    if (started != null) {
      Duration since = Duration.between(started, Instant.now());
      return since.isNegative() ? Duration.ZERO : since;
    }
    return Duration.ofNanos(System.nanoTime() - createdNanos);
  }
}
