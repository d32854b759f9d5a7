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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Domain.GetJobStatsFlags;
import org.libvirt.Domain.MigrateFlags;
import org.libvirt.DomainJobStats;
import org.libvirt.LibvirtException;
import org.libvirt.TypedParameter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One libvirt migration. {@link #start()} runs the blocking {@code virDomainMigrateToURI3} (or
 * {@code virDomainMigrate3} when managed) on a thread and a source connection of its own, so that
 * the engine's thread can sample the job, steer it and abort it meanwhile over the host's shared
 * connection; the outcome of that call decides whether the migration completed or failed.
 */
final class LibvirtSession implements MigrationSession {
  private static final Logger LOG = LoggerFactory.getLogger(LibvirtSession.class);
  private static final Duration POLL = Duration.ofMillis(50);
  private static final Duration RACE = Duration.ofMillis(500);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

  private final MigrationSpec spec;
  private final HostConnection source;
  private final HostConnection target;
  private final LibvirtBackend.Settings settings;
  private final Domain domain;
  private final String uuid;
  private final String name;
  private final boolean persistent;
  private final CountDownLatch done = new CountDownLatch(1);
  private final String description;

  private @Nullable MigrationPlan plan;
  private @Nullable Thread worker;
  private long startNanos;
  private @Nullable Instant startedAt;
  private volatile @Nullable BackendException failure;
  private volatile @Nullable ProgressSample completed;
  private volatile ProgressSample lastActive = ProgressSample.builder().build();
  private volatile boolean postCopyRequested;
  private volatile boolean inPostCopy;
  private final Object pauseLock = new Object();

  /** Set once {@link Directive.PauseGuest} suspended the guest on the source. */
  private volatile boolean paused;

  /** Set by the migration thread once the call returned; no pause is applied after it. */
  private boolean finishing;

  private volatile @Nullable GuestLocation failureLocation;
  private boolean closed;
  private final PostCopyRecovery recovery;

  LibvirtSession(
      MigrationSpec spec,
      HostConnection source,
      HostConnection target,
      LibvirtBackend.Settings settings,
      Domain domain)
      throws LibvirtException {
    this.spec = spec;
    this.source = source;
    this.target = target;
    this.settings = settings;
    this.domain = domain;
    this.uuid = domain.getUUIDString();
    this.name = domain.getName();
    this.persistent = domain.isPersistent() == 1;
    this.description =
        "domain '" + name + "' from " + spec.source().name() + " to " + spec.target().name();
    this.recovery = new PostCopyRecovery(description, source, target, uuid, settings.recovery());
  }

  @Override
  public TargetEndpoint prepareTarget() {
    try {
      Domain existing = target.call(connection -> connection.domainLookupByUUIDString(uuid));
      try {
        if (existing.isActive() == 1) {
          throw new BackendException(
              "domain '"
                  + name
                  + "' ("
                  + uuid
                  + ") already runs on the target node "
                  + spec.target().name());
        }
      } finally {
        existing.free();
      }
    } catch (LibvirtException e) {
      LibvirtBackendException error =
          LibvirtBackendException.of("checking the target node " + spec.target().name(), e);
      if (error.errorCode() != LibvirtBackendException.NO_DOMAIN) {
        throw error;
      }
    }
    // libvirt's target daemon prepares the receiving QEMU itself, inside the migration call, and
    // picks its memory and disk ports from its own migration port range then: what is known now
    // is the daemon's port, which carries libvirt's own migration channel (mapped to 0).
    Map<Integer, Integer> ports =
        HostConnection.daemonPort(target.uri()).map(port -> Map.of(port, 0)).orElse(Map.of());
    return new TargetEndpoint(
        spec.targetAddress(), ports, "libvirt://" + spec.target().name() + "/" + name);
  }

  @Override
  public void start() {
    MigrationPlan planned =
        MigrationPlan.of(
            spec, settings.peerToPeer(), settings.parallelConnections(), persistent, zstd());
    plan = planned;
    LOG.info(
        "Migrating {} with flags {} and parameters {}",
        description,
        planned.flagNames(),
        planned.describe());
    Connect own = source.openSeparate();
    startNanos = System.nanoTime();
    startedAt = Instant.now();
    Thread thread = new Thread(() -> migrate(own, planned), "libvirt-migration-" + name);
    thread.setDaemon(true);
    worker = thread;
    thread.start();
    long deadline = System.nanoTime() + settings.jobStartTimeout().toNanos();
    boolean downtimeSet = false;
    while (true) {
      if (awaitDone(POLL)) {
        BackendException failed = failure;
        if (failed != null) {
          throw failed;
        }
        return;
      }
      JobStats stats = null;
      try {
        stats = jobStats(0);
      } catch (LibvirtBackendException e) {
        LOG.debug("No job statistics yet for {}: {}", description, e.getMessage());
      }
      if (stats != null && stats.active()) {
        // libvirt's migration calls take no downtime parameter: the limit is set on the job as
        // soon as it exists (before QEMU sends much, so that QEMU's default of 300 ms never
        // decides the switch-over), and once more below if that first try was refused.
        if (!downtimeSet) {
          downtimeSet = setInitialDowntime(false);
        }
        // libvirt's job runs from the handshake on; QEMU's migration, which directives such as
        // the switch to post-copy act on, runs once the job reports data to move.
        if (stats.get("data_total") > 0) {
          if (!downtimeSet) {
            setInitialDowntime(true); // false if the job ended meanwhile: the samples tell how
          }
          return;
        }
      }
      if (System.nanoTime() > deadline) {
        abortQuietly();
        throw new BackendException(
            "the migration job of "
                + description
                + " did not start moving data within "
                + settings.jobStartTimeout().toSeconds()
                + " s");
      }
    }
  }

  /**
   * Returns whether this migration compresses with zstd: asked for, and both daemons can (see
   * {@link MigrationPlan#zstdUnavailable}); else says why not, in a warning.
   */
  private boolean zstd() {
    if (!MigrationPlan.zstdRequested(spec.configuration())) {
      return false;
    }
    long sourceVersion;
    long targetVersion;
    try {
      sourceVersion = source.call(Connect::getLibVersion);
      targetVersion = target.call(Connect::getLibVersion);
    } catch (LibvirtException e) {
      throw LibvirtBackendException.of(
          "reading the libvirt versions of " + source.node() + " and " + target.node(), e);
    }
    return MigrationPlan.zstdUnavailable(spec.configuration(), sourceVersion, targetVersion)
        .map(
            why -> {
              LOG.warn(
                  "experimental.compression zstd is not applied to {}: {}; migrating it"
                      + " uncompressed",
                  description,
                  why);
              return false;
            })
        .orElse(true);
  }

  /** Returns the recovery of a broken post-copy (for tests: its counts). */
  PostCopyRecovery recovery() {
    return recovery;
  }

  /** Returns the plan {@link #start()} made, if it ran. */
  @Nullable MigrationPlan plan() {
    return plan;
  }

  /**
   * Sets QEMU's downtime limit to {@link MigrationSpec#initialMaxDowntime()} ({@code
   * virDomainMigrateSetMaxDowntime} on the running job). Returns whether it was set; a refusal is
   * retried by the caller, and thrown when {@code required}, unless the job ended meanwhile.
   */
  private boolean setInitialDowntime(boolean required) {
    long millis = Math.max(1, spec.initialMaxDowntime().toMillis());
    try {
      domain.migrateSetMaxDowntime(millis);
      LOG.debug("Maximum downtime of {} set to {} ms", description, millis);
      return true;
    } catch (LibvirtException e) {
      if (!required) {
        LOG.debug("Maximum downtime of {} not set yet: {}", description, e.getMessage());
        return false;
      }
      LibvirtBackendException error =
          LibvirtBackendException.of(
              "setting the initial maximum downtime of " + description + " to " + millis + " ms",
              e);
      if (awaitDone(RACE)) {
        return false;
      }
      abortQuietly();
      throw error;
    }
  }

  /**
   * Runs the blocking migration call on its own connection to the source, then closes it. If the
   * call fails because post-copy's link broke, resumes the migration ({@link PostCopyRecovery}).
   */
  private void migrate(Connect own, MigrationPlan planned) {
    try {
      try {
        migrateOnce(own, planned, planned.flags());
      } catch (LibvirtException e) {
        if (!planned.has(MigrateFlags.POSTCOPY) || !recovery.sourceBroken()) {
          throw e;
        }
        inPostCopy = true;
        try {
          recovery.recover(
              PostCopyRecovery.brokeWhy(e),
              () -> {
                Connect attempt = source.openSeparate();
                try {
                  migrateOnce(attempt, planned, planned.flags() | MigrationPlan.POSTCOPY_RESUME);
                } finally {
                  source.closeQuietly(attempt);
                }
              });
        } catch (BackendException lost) {
          failure = lost;
          failureLocation = GuestLocation.UNKNOWN;
          return;
        }
      }
      if (finishPaused(true)) {
        completed = completedSample();
        LOG.info("Migrated {}", description);
      }
    } catch (LibvirtException e) {
      failure = LibvirtBackendException.of("migrating " + description, e);
      finishPaused(false);
    } catch (BackendException e) {
      failure = e;
      finishPaused(false);
    } catch (RuntimeException e) {
      failure = new BackendException("migrating " + description + " failed: " + e, e);
      finishPaused(false);
    } finally {
      source.closeQuietly(own);
      done.countDown();
    }
  }

  /** One migration call (the first, or a post-copy resume) on this connection. */
  private void migrateOnce(Connect connection, MigrationPlan planned, int flags)
      throws LibvirtException {
    TypedParameter[] parameters = planned.parameters().toArray(TypedParameter[]::new);
    Domain moving = connection.domainLookupByUUIDString(uuid);
    try {
      if (settings.peerToPeer()) {
        moving.migrateToURI(target.uri(), parameters, flags);
      } else {
        Domain moved = moving.migrate(target.connect(), parameters, flags);
        if (moved != null) {
          moved.free();
        }
      }
    } finally {
      moving.free();
    }
  }

  /**
   * After the migration call returned: if {@link Directive.PauseGuest} paused the guest, makes sure
   * it runs where it now is, the target after a success, the source after a failure (whose guest
   * location is then known). Returns false if a successful migration left a guest that could not be
   * resumed on the target (the failure then says so).
   */
  private boolean finishPaused(boolean migrated) {
    synchronized (pauseLock) {
      finishing = true;
      if (!paused) {
        return true;
      }
    }
    HostConnection host = migrated ? target : source;
    String where = migrated ? "target " + target.node() : "source " + source.node();
    try {
      NativeLibvirt.State state = NativeLibvirt.state(host.nativePointer(), uuid);
      if (state.state() == NativeLibvirt.STATE_PAUSED) {
        // What libvirt 9.0 does itself (seen in LibvirtSessionOptionsTest): after a migration
        // whose source a client paused during the job, the target's Finish phase starts the
        // guest's CPUs (it keeps them stopped with VIR_MIGRATE_PAUSED, which is never set here);
        // after an abort it restores the source's state from before the migration, running. This
        // branch is for other libvirt versions or drivers: whatever libvirt did, the guest must
        // run where it is.
        LOG.info(
            "The guest of {} is paused on the {} (reason {}) after the migration {}; resuming it",
            description,
            where,
            state.reason(),
            migrated ? "completed" : "failed");
        host.call(
            connection -> {
              Domain here = connection.domainLookupByUUIDString(uuid);
              try {
                here.resume();
              } finally {
                here.free();
              }
              return null;
            });
      } else {
        LOG.info("The guest of {} runs on the {} (state {})", description, where, state.state());
      }
      if (!migrated) {
        failureLocation = GuestLocation.SOURCE;
      }
      return true;
    } catch (LibvirtException | BackendException e) {
      String message = e.getMessage();
      if (migrated) {
        failureLocation = GuestLocation.TARGET;
        failure =
            new BackendException(
                "migrated "
                    + description
                    + " after pausing the guest, but could not resume it on the target: "
                    + message,
                e);
        return false;
      }
      LOG.warn(
          "Could not resume the guest of {} on the source after the failed migration: {}",
          description,
          message);
      return true;
    }
  }

  /** The target's statistics of the finished job (with the downtime), else the last sample's. */
  private ProgressSample completedSample() {
    MigrationMode mode =
        inPostCopy || postCopyRequested
            ? MigrationMode.POST_COPY
            : paused ? MigrationMode.PAUSED : modeNow();
    Duration elapsed = elapsed();
    try {
      Domain moved = target.call(connection -> connection.domainLookupByUUIDString(uuid));
      try {
        // Kept, so that `virsh domjobinfo --completed` and other clients still see them.
        DomainJobStats stats =
            moved.getJobStats(GetJobStatsFlags.COMPLETED | GetJobStatsFlags.KEEP_COMPLETED);
        JobStats job = JobStats.of(stats.type, stats.stats);
        if (job.type() == JobStats.COMPLETED && job.find("data_total").isPresent()) {
          return recovery.decorate(
              ProgressSample.builder()
                  .from(job.toSample(ProgressSample.Status.COMPLETED, mode, elapsed))
                  .guestLocation(GuestLocation.TARGET)
                  .build());
        }
      } finally {
        moved.free();
      }
    } catch (LibvirtException | BackendException e) {
      LOG.debug("No completed job statistics for {}: {}", description, e.getMessage());
    }
    ProgressSample last = lastActive;
    return recovery.decorate(
        ProgressSample.builder()
            .from(last)
            .status(ProgressSample.Status.COMPLETED)
            .mode(mode)
            .elapsed(elapsed)
            .dataRemaining(0)
            .guestLocation(GuestLocation.TARGET)
            .build());
  }

  /**
   * What another process needs to find this migration's job again: the domain's name and UUID, the
   * nodes and their URIs, peer-to-peer or managed, the flags and the start time ({@link
   * ResumeData}).
   */
  @Override
  public Map<String, String> resumeData() {
    MigrationPlan planned = plan;
    int flags = planned == null ? 0 : planned.flags();
    return new ResumeData(
            name,
            uuid,
            source.node(),
            source.uri(),
            target.node(),
            target.uri(),
            settings.peerToPeer(),
            flags,
            startedAt)
        .toMap(planned == null ? List.of() : planned.flagNames());
  }

  @Override
  public ProgressSample sample() {
    if (isDone()) {
      return ended();
    }
    JobStats stats;
    try {
      stats = jobStats(0);
    } catch (LibvirtBackendException e) {
      if (awaitDone(RACE)) {
        return ended();
      }
      if (recovery.breaks() > 0 && recovery.completedOnTarget()) {
        // QEMU completed a recovery that libvirt's resume call gave up on (see PostCopyRecovery):
        // the source's domain is gone, and the migration thread ends at its next check.
        LOG.info("The source no longer has {}; its migration completed on the target", description);
        recovery.wake();
        if (awaitDone(RACE)) {
          return ended();
        }
        return recovery.decorate(
            ProgressSample.builder().from(lastActive).elapsed(elapsed()).build());
      }
      throw e;
    }
    if (!stats.active()) {
      // Between the end of the job and the return of the migration call: not over yet.
      return recovery.decorate(
          ProgressSample.builder().from(lastActive).elapsed(elapsed()).build());
    }
    // While a broken post-copy is resumed, libvirt keeps the job (its figures stand still while
    // paused); the source's state tells when a resume call got the link back.
    recovery.observeSource();
    ProgressSample sample =
        recovery.decorate(stats.toSample(ProgressSample.Status.ACTIVE, mode(stats), elapsed()));
    lastActive = sample;
    return sample;
  }

  private ProgressSample ended() {
    BackendException failed = failure;
    if (failed == null) {
      ProgressSample sample = completed;
      return sample != null
          ? sample
          : ProgressSample.builder()
              .from(lastActive)
              .status(ProgressSample.Status.COMPLETED)
              .build();
    }
    ProgressSample.Builder sample =
        ProgressSample.builder()
            .from(lastActive)
            .status(ProgressSample.Status.FAILED)
            .elapsed(elapsed())
            .failureReason(failed.getMessage());
    GuestLocation location = failureLocation;
    if (location != null) {
      sample.guestLocation(location);
    }
    return sample.build();
  }

  private MigrationMode mode(JobStats stats) {
    if (!inPostCopy
        && (postCopyRequested || stats.get("memory_postcopy_requests") > 0)
        && modeNow() == MigrationMode.POST_COPY) {
      inPostCopy = true;
      LOG.info("Migration of {} is in post-copy: the guest runs on the target", description);
    }
    if (inPostCopy) {
      return MigrationMode.POST_COPY;
    }
    return paused ? MigrationMode.PAUSED : MigrationMode.PRE_COPY;
  }

  private MigrationMode modeNow() {
    if (inPostCopy) {
      return MigrationMode.POST_COPY;
    }
    MigrationPlan planned = plan;
    if (planned == null || !planned.has(MigrateFlags.POSTCOPY)) {
      return MigrationMode.PRE_COPY;
    }
    try {
      return NativeLibvirt.state(source.nativePointer(), uuid).isPostCopySource()
          ? MigrationMode.POST_COPY
          : MigrationMode.PRE_COPY;
    } catch (BackendException e) {
      return MigrationMode.PRE_COPY;
    }
  }

  @Override
  public void apply(Directive directive) {
    if (directive instanceof Directive.Continue) {
      return;
    }
    if (directive instanceof Directive.Abort) {
      abort();
      return;
    }
    if (isDone()) {
      LOG.debug("{} not applied to {}: the migration has ended", directive, description);
      return;
    }
    try {
      if (directive instanceof Directive.SetMaxDowntime downtime) {
        long millis = Math.max(1, downtime.maxDowntime().toMillis());
        call(
            "setting the maximum downtime of " + description,
            () -> domain.migrateSetMaxDowntime(millis));
      } else if (directive instanceof Directive.SetBandwidth bandwidth) {
        NativeLibvirt.setMaxSpeed(
            source.nativePointer(),
            uuid,
            MigrationPlan.bandwidthMib(bandwidth.bytesPerSecond()),
            inPostCopy);
      } else if (directive instanceof Directive.SwitchToPostCopy) {
        MigrationPlan planned = plan;
        if (planned == null || !planned.has(MigrateFlags.POSTCOPY)) {
          throw new BackendException(
              "cannot switch "
                  + description
                  + " to post-copy: it was started without post-copy (allowPostCopy false)");
        }
        NativeLibvirt.startPostCopy(source.nativePointer(), uuid);
        postCopyRequested = true;
      } else if (directive instanceof Directive.PauseGuest) {
        pauseGuest();
      } else if (directive instanceof Directive.Throttle throttle) {
        // libvirt has no call that sets the CPU throttle of a running migration: QEMU's
        // auto-converge (enabled at start with the engine's initial step and increment) raises
        // it by itself, and samples report the throttle it applies.
        LOG.debug(
            "Throttle to {} % for {} is left to QEMU's auto-converge",
            throttle.percent(), description);
      }
    } catch (LibvirtBackendException e) {
      if (awaitDone(RACE)) {
        LOG.debug("{} not applied to {}: the migration ended", directive, description);
        return;
      }
      throw e;
    }
  }

  /**
   * Suspends the guest on the source ({@code virDomainSuspend}, allowed during an outgoing
   * migration job): it dirties no more memory, so pre-copy completes within the downtime limit
   * (KubeVirt's {@code Paused} mode). Nothing to do in post-copy (the guest runs on the target) or
   * once paused; the migration thread resumes the guest where it ends up.
   */
  private void pauseGuest() {
    if (inPostCopy || postCopyRequested) {
      LOG.info(
          "Not pausing the guest of {}: it is in post-copy and runs on the target", description);
      return;
    }
    synchronized (pauseLock) {
      if (paused || finishing) {
        return;
      }
      try {
        domain.suspend();
      } catch (LibvirtException e) {
        throw LibvirtBackendException.of("pausing the guest of " + description, e);
      }
      paused = true;
    }
    LOG.info(
        "Paused the guest of {} on {} so that its migration completes", description, source.node());
  }

  @Override
  public void abort() {
    if (worker == null || isDone()) {
      return;
    }
    try {
      domain.abortJob();
      LOG.info("Asked libvirt to abort the migration of {}", description);
    } catch (LibvirtException e) {
      LibvirtBackendException error =
          LibvirtBackendException.of("aborting the migration of " + description, e);
      if (awaitDone(RACE)) {
        return;
      }
      if (error.errorCode() != LibvirtBackendException.OPERATION_INVALID) {
        throw error;
      }
      if (inPostCopy) {
        throw new BackendException(
            "cannot abort the migration of " + description + " in post-copy: " + error.getMessage(),
            error);
      }
      // No job to abort: it has just ended, and the next samples tell how.
      LOG.debug("Nothing to abort for {}: {}", description, error.getMessage());
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Thread thread = worker;
    recovery.stop();
    if (thread != null && thread.isAlive()) {
      if (!inPostCopy) {
        abortQuietly();
      }
      try {
        thread.join(CLOSE_WAIT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (thread.isAlive()) {
        LOG.warn("The migration call for {} has not returned after close", description);
        return;
      }
    }
    try {
      domain.free();
    } catch (LibvirtException e) {
      LOG.debug("Freeing domain {} failed", name, e);
    }
  }

  private void abortQuietly() {
    try {
      domain.abortJob();
    } catch (LibvirtException e) {
      LOG.debug("Aborting the migration of {} failed", description, e);
    }
  }

  private JobStats jobStats(int flags) {
    try {
      DomainJobStats stats = domain.getJobStats(flags);
      return JobStats.of(stats.type, stats.stats);
    } catch (LibvirtException e) {
      throw LibvirtBackendException.of("reading the migration job of " + description, e);
    }
  }

  private boolean isDone() {
    return done.getCount() == 0;
  }

  private boolean awaitDone(Duration wait) {
    try {
      return done.await(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return isDone();
    }
  }

  private Duration elapsed() {
    return startNanos == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - startNanos);
  }

  private interface LibvirtCall {
    int run() throws LibvirtException;
  }

  private static void call(String action, LibvirtCall call) {
    try {
      call.run();
    } catch (LibvirtException e) {
      throw LibvirtBackendException.of(action, e);
    }
  }
}
