package dev.livemigration.libvirt;

import org.jspecify.annotations.Nullable;

/**
 * What one libvirt host holds of a domain whose migration is resumed ({@link
 * ResumedLibvirtSession}).
 *
 * @param found whether the host knows the domain
 * @param active whether it runs there (running or paused)
 * @param state {@code virDomainState}, when active
 * @param reason the reason for the state, when active
 * @param job the host's job statistics, when read
 */
record DomainPresence(
    boolean found, boolean active, int state, int reason, @Nullable JobStats job) {
  /** {@code VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT}. */
  static final long OPERATION_MIGRATION_OUT = 5;

  /** Not known to the host. */
  static final DomainPresence ABSENT = new DomainPresence(false, false, 0, 0, null);

  /** Known to the host (defined) but not running. */
  static final DomainPresence SHUT_OFF = new DomainPresence(true, false, 0, 0, null);

  /** A migration job runs for the domain here (an outgoing one, when libvirt says which). */
  boolean migrating() {
    return job != null
        && job.active()
        && job.find("operation").map(op -> op == OPERATION_MIGRATION_OUT).orElse(true);
  }

  /** Active and running (not paused). */
  boolean isRunning() {
    return active && state == NativeLibvirt.STATE_RUNNING;
  }

  /** Paused as the source of a migration in post-copy (or after post-copy failed). */
  boolean isPostCopySource() {
    return active && new NativeLibvirt.State(state, reason).isPostCopySource();
  }

  /** Paused after post-copy failed: neither host holds the whole guest. */
  boolean isPostCopyFailed() {
    return active
        && state == NativeLibvirt.STATE_PAUSED
        && reason == NativeLibvirt.PAUSED_POSTCOPY_FAILED;
  }

  /**
   * Whether the guest runs here: active and not paused by a migration (incoming, or the source side
   * of post-copy).
   */
  boolean holdsGuest() {
    return active
        && !(state == NativeLibvirt.STATE_PAUSED
            && (reason == NativeLibvirt.PAUSED_MIGRATION
                || reason == NativeLibvirt.PAUSED_POSTCOPY
                || reason == NativeLibvirt.PAUSED_POSTCOPY_FAILED));
  }

  /** What the host holds, in words: "gone", "shut off", "running with a migration job"... */
  String describe() {
    if (!found) {
      return "gone";
    }
    if (!active) {
      return "shut off";
    }
    String what =
        switch (state) {
          case NativeLibvirt.STATE_RUNNING -> "running";
          case NativeLibvirt.STATE_PAUSED ->
              reason == NativeLibvirt.PAUSED_MIGRATION
                  ? "paused for a migration"
                  : reason == NativeLibvirt.PAUSED_POSTCOPY
                      ? "paused in post-copy"
                      : reason == NativeLibvirt.PAUSED_POSTCOPY_FAILED
                          ? "paused after post-copy failed"
                          : "paused (reason " + reason + ")";
          default -> "in state " + state + " (reason " + reason + ")";
        };
    return migrating() ? what + " with a migration job" : what;
  }
}
