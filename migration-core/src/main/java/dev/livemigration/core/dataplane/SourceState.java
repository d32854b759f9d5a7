package dev.livemigration.core.dataplane;

import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The state of an {@link OutgoingMigration} that its public controls, its coordinator ({@link
 * SourceFlow}) and its progress samples share. Every field is written by one side and read by the
 * others, hence volatile.
 */
final class SourceState {
  volatile long maxDowntimeNanos;
  volatile boolean postCopyRequested;
  volatile @Nullable String abortReason;
  volatile boolean stopping;
  volatile int throttle;
  volatile ProgressSample.Status status = ProgressSample.Status.ACTIVE;
  volatile MigrationMode mode = MigrationMode.PRE_COPY;

  /** Set before the first byte of the go-ahead (GO or POSTCOPY) is written; never cleared. */
  volatile boolean committed;

  volatile boolean paused;
  volatile long dirtyRate;
  volatile @Nullable Duration downtime;
  volatile @Nullable String failure;

  /** Where the guest runs once the migration ended; null while it runs. */
  volatile @Nullable GuestLocation location;

  volatile long staleAtSwitch;
}
