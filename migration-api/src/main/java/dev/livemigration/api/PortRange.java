package dev.livemigration.api;

import java.io.Serializable;

/**
 * A range of ports an interface forwards: KubeVirt's {@code interfaces[].portRanges[]}.
 *
 * @param start the first port, between 1 and 65535
 * @param end the last port, between {@code start} and 65535
 */
public record PortRange(int start, int end) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Checks the rules above. */
  public PortRange {
    if (start < 1 || start > 65535) {
      throw new InvalidValueException("start", "must be a port between 1 and 65535", "" + start);
    }
    if (end < start || end > 65535) {
      throw new InvalidValueException(
          "end", "must be a port between start (" + start + ") and 65535", "" + end);
    }
  }

  /** Returns whether {@code port} is in the range. */
  public boolean contains(int port) {
    return port >= start && port <= end;
  }
}
