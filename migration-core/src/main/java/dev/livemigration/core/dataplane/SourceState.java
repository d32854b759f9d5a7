package dev.livemigration.core.dataplane;

import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigratableMemory;
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

  /** Directive.PauseGuest paused the guest: the flow ends the pass and sends the rest. */
  volatile boolean pauseRequested;

  volatile @Nullable String abortReason;
  volatile boolean stopping;
  volatile int throttle;
  volatile ProgressSample.Status status = ProgressSample.Status.ACTIVE;
  volatile MigrationMode mode = MigrationMode.PRE_COPY;

  /** Set before the first byte of the go-ahead (GO or POSTCOPY) is written; never cleared. */
  volatile boolean committed;

  /**
   * Whether the source memory is paused; changed only through {@link #pause} and {@link #resume}.
   */
  volatile boolean paused;

  /** When the source memory was paused, by {@link System#nanoTime()}. */
  volatile long pausedAtNanos;

  // Guarded by this: once the source was given back (resumed for good), nothing pauses it again.
  private boolean restored;
  volatile long dirtyRate;
  volatile @Nullable Duration downtime;
  volatile @Nullable String failure;

  /** Where the guest runs once the migration ended; null while it runs. */
  volatile @Nullable GuestLocation location;

  volatile long staleAtSwitch;

  /** In POST_COPY_PAUSED: why the link broke. */
  volatile @Nullable String linkFailure;

  /** In POST_COPY_PAUSED: the attempts to reconnect since the link broke. */
  volatile int reconnectAttempts;

  /** How many broken post-copy links were resumed. */
  volatile int linkRecoveries;

  /** Why the link last broke, and the attempts its recovery took: for a pause no sample saw. */
  volatile @Nullable String lastLinkFailure;

  volatile int lastRecoveryAttempts;

  /**
   * Pauses the source memory unless it is paused already or was given back; returns whether this
   * call paused it. Serialized with {@link #resume}, so that a directive's pause never lands after
   * the flow gave the guest back.
   */
  synchronized boolean pause(MigratableMemory memory) {
    if (paused || restored) {
      return false;
    }
    memory.pause();
    pausedAtNanos = System.nanoTime();
    paused = true;
    return true;
  }

  /** Gives the guest back to the source for good: resumes the memory if it is paused. */
  synchronized void resume(MigratableMemory memory) {
    restored = true;
    if (paused) {
      paused = false;
      memory.resume();
    }
  }
}
