package dev.livemigration.libvirt;

import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.NativeLongByReference;
import dev.livemigration.api.spi.BackendException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typed access to the calls of {@link VirtNative}: each finds the domain by UUID on a connection
 * that libvirt-java opened, makes the call, frees the domain and turns a failure into a {@link
 * LibvirtBackendException} with libvirt's message and code.
 */
final class NativeLibvirt {
  private static final Logger LOG = LoggerFactory.getLogger(NativeLibvirt.class);

  /** {@code VIR_DOMAIN_RUNNING}. */
  static final int STATE_RUNNING = 1;

  /** {@code VIR_DOMAIN_PAUSED}. */
  static final int STATE_PAUSED = 3;

  /** {@code VIR_DOMAIN_PAUSED_MIGRATION}: paused for the end of a migration, or incoming. */
  static final int PAUSED_MIGRATION = 2;

  /** {@code VIR_DOMAIN_PAUSED_POSTCOPY}: the source of a migration in post-copy. */
  static final int PAUSED_POSTCOPY = 12;

  /** {@code VIR_DOMAIN_PAUSED_POSTCOPY_FAILED}: post-copy broke; neither side is whole. */
  static final int PAUSED_POSTCOPY_FAILED = 13;

  /** {@code VIR_DOMAIN_RUNNING_POSTCOPY}: the target of a migration in post-copy. */
  static final int RUNNING_POSTCOPY = 10;

  /** {@code VIR_DOMAIN_RUNNING_POSTCOPY_FAILED}: the target of a post-copy that broke. */
  static final int RUNNING_POSTCOPY_FAILED = 11;

  /** {@code VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY}: the flag for the post-copy bandwidth. */
  static final int MAX_SPEED_POSTCOPY = 1;

  private static final Object LOCK = new Object();
  private static @Nullable VirtNative library;
  private static VirtNative.@Nullable ErrorFunc errorSink;

  private NativeLibvirt() {}

  /** A domain's state and the reason for it, as {@code virDomainGetState} reports them. */
  record State(int state, int reason) {
    /** Returns whether this is the source side of a migration that switched to post-copy. */
    boolean isPostCopySource() {
      return state == STATE_PAUSED
          && (reason == PAUSED_POSTCOPY || reason == PAUSED_POSTCOPY_FAILED);
    }

    /**
     * Returns whether this is the source side of a post-copy migration whose link broke (QEMU's
     * {@code postcopy-paused}): libvirt 8.5 and later keep the job, and a call with {@code
     * VIR_MIGRATE_POSTCOPY_RESUME} resumes it.
     */
    boolean isPostCopyFailed() {
      return state == STATE_PAUSED && reason == PAUSED_POSTCOPY_FAILED;
    }
  }

  /**
   * Returns the loaded library.
   *
   * @throws BackendException if libvirt's C library cannot be loaded
   */
  static VirtNative library() {
    synchronized (LOCK) {
      if (library == null) {
        try {
          library = Native.load("virt", VirtNative.class);
        } catch (UnsatisfiedLinkError e) {
          throw new BackendException(
              "cannot load libvirt's C library (libvirt.so.0, Debian package libvirt0): "
                  + e.getMessage(),
              e);
        }
      }
      return library;
    }
  }

  /**
   * Routes libvirt's own error reports to this logger at debug level; without a handler libvirt
   * prints every error to standard error, although each one also reaches the caller as an
   * exception. Process-wide and idempotent.
   */
  static void routeErrorsToLog() {
    synchronized (LOCK) {
      if (errorSink != null) {
        return;
      }
      VirtNative.ErrorFunc sink =
          (userData, error) -> {
            if (LOG.isDebugEnabled() && error != null) {
              Pointer message = error.getPointer(8);
              LOG.debug(
                  "libvirt error {}: {}",
                  error.getInt(0),
                  message == null ? "" : message.getString(0));
            }
          };
      library().virSetErrorFunc(null, sink);
      errorSink = sink; // a strong reference, so that the callback is never collected
    }
  }

  /** Reads the domain's state and reason. */
  static State state(Pointer connection, String uuid) {
    return withDomain(
        connection,
        uuid,
        "reading the state of domain " + uuid,
        domain -> {
          IntByReference state = new IntByReference();
          IntByReference reason = new IntByReference();
          check(
              library().virDomainGetState(domain, state, reason, 0),
              "reading the state of domain " + uuid);
          return new State(state.getValue(), reason.getValue());
        });
  }

  /** Switches the domain's outgoing migration to post-copy. */
  static void startPostCopy(Pointer connection, String uuid) {
    String action = "switching the migration of domain " + uuid + " to post-copy";
    withDomain(
        connection,
        uuid,
        action,
        domain -> check(library().virDomainMigrateStartPostCopy(domain, 0), action));
  }

  /** Sets the domain's migration bandwidth in MiB/s, for pre-copy or for post-copy. */
  static void setMaxSpeed(Pointer connection, String uuid, long mibPerSecond, boolean postCopy) {
    String action =
        "setting the "
            + (postCopy ? "post-copy " : "")
            + "migration bandwidth of domain "
            + uuid
            + " to "
            + mibPerSecond
            + " MiB/s";
    withDomain(
        connection,
        uuid,
        action,
        domain ->
            check(
                library()
                    .virDomainMigrateSetMaxSpeed(
                        domain, new NativeLong(mibPerSecond), postCopy ? MAX_SPEED_POSTCOPY : 0),
                action));
  }

  /** Reads the domain's migration bandwidth in MiB/s, for pre-copy or for post-copy. */
  static long maxSpeed(Pointer connection, String uuid, boolean postCopy) {
    String action = "reading the migration bandwidth of domain " + uuid;
    return withDomain(
        connection,
        uuid,
        action,
        domain -> {
          NativeLongByReference speed = new NativeLongByReference();
          check(
              library()
                  .virDomainMigrateGetMaxSpeed(domain, speed, postCopy ? MAX_SPEED_POSTCOPY : 0),
              action);
          return speed.getValue().longValue();
        });
  }

  /** Reads the domain's maximum migration downtime in milliseconds. */
  static long maxDowntimeMillis(Pointer connection, String uuid) {
    String action = "reading the maximum migration downtime of domain " + uuid;
    return withDomain(
        connection,
        uuid,
        action,
        domain -> {
          LongByReference downtime = new LongByReference();
          check(library().virDomainMigrateGetMaxDowntime(domain, downtime, 0), action);
          return downtime.getValue();
        });
  }

  private static <T> T withDomain(
      Pointer connection, String uuid, String action, Function<Pointer, T> call) {
    VirtNative lib = library();
    Pointer domain = lib.virDomainLookupByUUIDString(connection, uuid);
    if (domain == null) {
      throw lastError(action);
    }
    try {
      return call.apply(domain);
    } finally {
      lib.virDomainFree(domain);
    }
  }

  private static Void check(int result, String action) {
    if (result < 0) {
      throw lastError(action);
    }
    return null;
  }

  /** Reads the calling thread's last libvirt error into an exception, and clears it. */
  static LibvirtBackendException lastError(String action) {
    VirtNative lib = library();
    int code = lib.virGetLastErrorCode();
    String message = lib.virGetLastErrorMessage();
    lib.virResetLastError();
    return new LibvirtBackendException(action, code, message == null ? "" : message);
  }
}
