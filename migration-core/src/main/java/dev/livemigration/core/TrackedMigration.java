package dev.livemigration.core;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.spi.MigrationRecord;
import dev.livemigration.api.spi.MigrationSession;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * A migration this engine replica drives: its latest stored record, the backend session and the
 * monitor loop's memory. The session and the loop's fields are touched only while holding this
 * object's monitor, so the backend sees one call at a time; {@link #cancelRequested} and the record
 * are read without it.
 */
final class TrackedMigration {
  static final int HISTORY = 128;

  final VirtualMachineInstanceMigration request;
  final VirtualMachineInstance vmi;
  final MigrationMethod method;
  final MigrationConfiguration configuration;
  final Duration completionTimeout;
  private final RecordWriter writer;
  private final Object recordLock = new Object();
  private volatile MigrationRecord record;

  /** Set by a cancel here or seen in the stored record; acted upon by the migration's own steps. */
  volatile boolean cancelRequested;

  /** Set once the session was closed or let go: nothing is asked of it afterwards. */
  final java.util.concurrent.atomic.AtomicBoolean released =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** Set once a step saw {@code postCopyRequested}: read by a cancel without the monitor. */
  volatile boolean postCopyRequested;

  /** Set once the backend took {@code PauseGuest}. */
  volatile boolean pauseRequested;

  // Guarded by the dispatcher's lock.
  @Nullable String targetNode;
  boolean abortRequestPublished;

  // Guarded by this.
  @Nullable MigrationSession session;
  @Nullable Instant startedAt;
  @Nullable Convergence convergence;
  @Nullable DowntimeRamp ramp;
  boolean pausedSeen;
  @Nullable Instant stallRaisedAt;
  long stallRaisedIteration;
  @Nullable String abortReason;
  @Nullable Instant abortSentAt;
  boolean postCopyTimeoutReported;
  @Nullable Object lastDirective;
  final ArrayDeque<ProgressSample> history = new ArrayDeque<>();

  /** Writes a record to the store and returns what the store kept. */
  interface RecordWriter {
    MigrationRecord write(MigrationRecord next);
  }

  TrackedMigration(MigrationRecord record, RecordWriter writer) {
    this.record = record;
    this.writer = writer;
    this.request = record.request();
    this.vmi = record.vmi();
    this.method = record.method();
    this.configuration = record.configuration();
    this.completionTimeout = configuration.completionTimeoutFor(vmi.bytesToCopy());
    this.cancelRequested = record.cancelRequested();
  }

  /** Marks the migration as running since {@code now}: its convergence is watched from then. */
  void startWatching(Instant started, Instant now) {
    startedAt = started;
    convergence = Convergence.of(configuration, now);
    ramp = new DowntimeRamp(configuration);
  }

  /** Whether the engine asked for post-copy or for the guest to be paused. */
  boolean disruptionRequested() {
    return postCopyRequested || pauseRequested;
  }

  String uid() {
    return record.uid();
  }

  MigrationState state() {
    return record.state();
  }

  MigrationRecord record() {
    return record;
  }

  boolean isTerminal() {
    return record.isTerminal();
  }

  /**
   * Changes the state and writes it to the store. Takes only the record's own lock, never the
   * session's, so that an engine closing beside a hung backend can still record an end.
   *
   * @throws dev.livemigration.api.spi.FencedException if this replica no longer owns the migration
   */
  MigrationState update(UnaryOperator<MigrationState.Builder> change) {
    synchronized (recordLock) {
      return store(
          record.withState(change.apply(MigrationState.builder().from(record.state())).build()));
    }
  }

  /** Writes the record with the backend's resume data. */
  void keepResumeData(java.util.Map<String, String> data) {
    synchronized (recordLock) {
      if (!data.isEmpty()) {
        store(record.withResumeData(data));
      }
    }
  }

  private MigrationState store(MigrationRecord next) {
    MigrationRecord written = writer.write(next);
    record = written;
    if (written.cancelRequested()) {
      cancelRequested = true;
    }
    return written.state();
  }

  synchronized void remember(ProgressSample sample) {
    history.addLast(sample);
    while (history.size() > HISTORY) {
      history.removeFirst();
    }
  }

  synchronized List<ProgressSample> historyBefore(ProgressSample latest) {
    return history.stream().filter(sample -> sample != latest).toList();
  }

  @Override
  public String toString() {
    return request.namespace() + "/" + request.name() + " (" + uid() + ")";
  }
}
