package dev.livemigration.libvirt;

import dev.livemigration.api.spi.BackendException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a post-copy migration's guest is, as the two hosts' libvirt daemons say: completed on the
 * target, paused on a broken source, or lost with the target's QEMU. Asked by {@link
 * PostCopyRecovery} around its resume calls; each answer is one or two state reads.
 */
final class GuestWhereabouts {
  private static final Logger LOG = LoggerFactory.getLogger(GuestWhereabouts.class);

  /** {@code VIR_DOMAIN_SHUTOFF}: a persistent domain's state on the source after it migrated. */
  private static final int STATE_SHUTOFF = 5;

  /** {@code VIR_DOMAIN_CRASHED}. */
  private static final int STATE_CRASHED = 6;

  private final String description;
  private final HostConnection source;
  private final HostConnection target;
  private final String uuid;

  GuestWhereabouts(String description, HostConnection source, HostConnection target, String uuid) {
    this.description = description;
    this.source = source;
    this.target = target;
    this.uuid = uuid;
  }

  /**
   * Returns whether the migration completed although no resume call said so: the source no longer
   * has the domain (or has it shut off) and the target runs it, not waiting for a link. Seen with
   * libvirt 9.0 and QEMU 7.2: a resume call failed ({@code job 'migration in' failed in post-copy
   * phase}) while QEMU went on with the recovery, the next one failed with {@code QEMU reports
   * migration is still running}, and QEMU completed the migration.
   */
  boolean completedOnTarget() {
    try {
      NativeLibvirt.State onSource = NativeLibvirt.state(source.nativePointer(), uuid);
      if (onSource.state() != STATE_SHUTOFF) {
        return false;
      }
    } catch (LibvirtBackendException e) {
      if (e.errorCode() != LibvirtBackendException.NO_DOMAIN) {
        LOG.debug("Could not read the state of {} on the source: {}", description, e.getMessage());
        return false;
      }
    } catch (BackendException e) {
      LOG.debug("Could not read the state of {} on the source: {}", description, e.getMessage());
      return false;
    }
    try {
      NativeLibvirt.State onTarget = NativeLibvirt.state(target.nativePointer(), uuid);
      return onTarget.state() == NativeLibvirt.STATE_RUNNING
          && onTarget.reason() != NativeLibvirt.RUNNING_POSTCOPY_FAILED;
    } catch (BackendException e) {
      LOG.debug("Could not read the state of {} on the target: {}", description, e.getMessage());
      return false;
    }
  }

  /**
   * Says how the target lost the guest's QEMU, if it did: libvirt there no longer has the domain,
   * or has it shut off or crashed. Null if the target runs it, or cannot be asked.
   */
  @Nullable String targetGone() {
    try {
      NativeLibvirt.State onTarget = NativeLibvirt.state(target.nativePointer(), uuid);
      if (onTarget.state() == STATE_SHUTOFF || onTarget.state() == STATE_CRASHED) {
        return "libvirt on "
            + target.node()
            + (onTarget.state() == STATE_CRASHED
                ? " has the domain crashed"
                : " has the domain shut off")
            + " (reason "
            + onTarget.reason()
            + ")";
      }
      return null;
    } catch (LibvirtBackendException e) {
      if (e.errorCode() == LibvirtBackendException.NO_DOMAIN) {
        return "libvirt on " + target.node() + " no longer has the domain";
      }
      LOG.debug("Could not read the state of {} on the target: {}", description, e.getMessage());
      return null;
    } catch (BackendException e) {
      LOG.debug("Could not read the state of {} on the target: {}", description, e.getMessage());
      return null;
    }
  }

  /**
   * Returns whether the source holds the paused side of a broken post-copy now; waits a little
   * while it still reports post-copy, as libvirt may be between the two.
   */
  boolean sourceBroken() {
    long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (true) {
      NativeLibvirt.State state;
      try {
        state = NativeLibvirt.state(source.nativePointer(), uuid);
      } catch (BackendException e) {
        LOG.debug("Could not read the state of {}: {}", description, e.getMessage());
        return false;
      }
      if (state.isPostCopyFailed()) {
        return true;
      }
      if (!state.isPostCopySource() || System.nanoTime() > deadline) {
        return false;
      }
      sleep(Duration.ofMillis(100));
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
