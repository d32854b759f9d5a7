package dev.livemigration.libvirt;

import dev.livemigration.api.spi.BackendException;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;

/**
 * A libvirt call that failed: its message says what the backend tried and carries libvirt's own
 * message and error code, for example {@code migrating domain 'web' to node-b failed: operation
 * aborted: job 'migration out' canceled by client (libvirt error 78 VIR_ERR_OPERATION_ABORTED)}.
 */
public final class LibvirtBackendException extends BackendException {
  private static final long serialVersionUID = 1L;

  /** libvirt's {@code VIR_ERR_OPERATION_INVALID}: for example, no job to abort. */
  static final int OPERATION_INVALID = 55;

  /** libvirt's {@code VIR_ERR_NO_DOMAIN}: no such domain. */
  static final int NO_DOMAIN = 42;

  /** libvirt's {@code VIR_ERR_OPERATION_ABORTED}: the job was cancelled. */
  static final int OPERATION_ABORTED = 78;

  private final int errorCode;
  private final String libvirtMessage;

  LibvirtBackendException(String action, int errorCode, String libvirtMessage, Throwable cause) {
    super(format(action, errorCode, libvirtMessage), cause);
    this.errorCode = errorCode;
    this.libvirtMessage = libvirtMessage;
  }

  LibvirtBackendException(String action, int errorCode, String libvirtMessage) {
    super(format(action, errorCode, libvirtMessage));
    this.errorCode = errorCode;
    this.libvirtMessage = libvirtMessage;
  }

  /** Wraps a libvirt-java exception, keeping libvirt's message and code. */
  static LibvirtBackendException of(String action, LibvirtException e) {
    org.libvirt.Error error = e.getError();
    int code = error == null || error.getCode() == null ? -1 : error.getCode().ordinal();
    String message = error == null ? e.getMessage() : error.getMessage();
    return new LibvirtBackendException(action, code, message == null ? "" : message, e);
  }

  /** libvirt's error code ({@code virErrorNumber}), or -1 when libvirt gave none. */
  public int errorCode() {
    return errorCode;
  }

  /** libvirt's symbolic name of {@link #errorCode()}, such as {@code VIR_ERR_NO_DOMAIN}. */
  public String errorName() {
    return nameOf(errorCode);
  }

  /** libvirt's own message, as libvirt wrote it. */
  public String libvirtMessage() {
    return libvirtMessage;
  }

  static String nameOf(int code) {
    ErrorNumber[] numbers = ErrorNumber.values();
    return code >= 0 && code < numbers.length ? numbers[code].name() : "VIR_ERR_" + code;
  }

  private static String format(String action, int code, String message) {
    String detail = message.isBlank() ? "no message" : message;
    return action
        + " failed: "
        + detail
        + " (libvirt error "
        + code
        + (code >= 0 ? " " + nameOf(code) : "")
        + ")";
  }
}
