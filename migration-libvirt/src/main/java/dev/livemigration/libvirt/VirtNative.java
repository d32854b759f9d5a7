package dev.livemigration.libvirt;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.NativeLongByReference;

/**
 * The libvirt C calls this module needs and libvirt-java 0.5.4 does not bind, declared for JNA.
 * Pointers are {@code virConnectPtr} and {@code virDomainPtr}; every call returns -1 (or null) on
 * failure and leaves the error in libvirt's thread-local last error.
 */
interface VirtNative extends Library {

  /** {@code virDomainPtr virDomainLookupByUUIDString(virConnectPtr, const char *)}. */
  Pointer virDomainLookupByUUIDString(Pointer connection, String uuid);

  /** {@code int virDomainFree(virDomainPtr)}. */
  int virDomainFree(Pointer domain);

  /** {@code int virDomainGetState(virDomainPtr, int *state, int *reason, unsigned int flags)}. */
  int virDomainGetState(Pointer domain, IntByReference state, IntByReference reason, int flags);

  /** {@code int virDomainMigrateStartPostCopy(virDomainPtr, unsigned int flags)}; since 1.3.3. */
  int virDomainMigrateStartPostCopy(Pointer domain, int flags);

  /**
   * {@code int virDomainMigrateSetMaxSpeed(virDomainPtr, unsigned long bandwidth, unsigned int
   * flags)}: bandwidth in MiB/s; flag 1 sets the post-copy bandwidth.
   */
  int virDomainMigrateSetMaxSpeed(Pointer domain, NativeLong bandwidth, int flags);

  /** {@code int virDomainMigrateGetMaxSpeed(virDomainPtr, unsigned long *, unsigned int)}. */
  int virDomainMigrateGetMaxSpeed(Pointer domain, NativeLongByReference bandwidth, int flags);

  /**
   * {@code int virDomainMigrateGetMaxDowntime(virDomainPtr, unsigned long long *, unsigned int)}:
   * milliseconds; since 3.7.0.
   */
  int virDomainMigrateGetMaxDowntime(Pointer domain, LongByReference downtime, int flags);

  /** {@code int virGetLastErrorCode(void)}: the thread's last error code; since 4.5.0. */
  int virGetLastErrorCode();

  /** {@code int virGetLastErrorDomain(void)}: the thread's last error domain; since 4.5.0. */
  int virGetLastErrorDomain();

  /** {@code const char *virGetLastErrorMessage(void)}: never null; since 1.0.6. */
  String virGetLastErrorMessage();

  /** {@code void virResetLastError(void)}. */
  void virResetLastError();

  /** {@code void virSetErrorFunc(void *userData, virErrorFunc handler)}. */
  void virSetErrorFunc(Pointer userData, ErrorFunc handler);

  /** {@code void (*virErrorFunc)(void *userData, virErrorPtr error)}. */
  interface ErrorFunc extends Callback {
    /** Called by libvirt on the thread that raised the error. */
    void invoke(Pointer userData, Pointer error);
  }
}
