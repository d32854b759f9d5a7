package dev.livemigration.api;

import java.time.Duration;

/**
 * An instruction a strategy gives a running migration, which the backend applies: continue,
 * throttle the guest, change the allowed downtime or bandwidth, switch to post-copy, pause the
 * guest so that the copy completes, or abort.
 */
public sealed interface Directive {
  /** The directive that changes nothing. */
  Directive CONTINUE = new Continue();

  /** Changes nothing; the migration goes on as it is. */
  record Continue() implements Directive {}

  /**
   * Throttles the guest's CPU to slow its dirty rate (auto-converge).
   *
   * @param percent the share of CPU time taken from the guest, 0 to 99
   */
  record Throttle(int percent) implements Directive {
    /** Validates the percentage. */
    public Throttle {
      if (percent < 0 || percent > 99) {
        throw new InvalidValueException("percent", "must be between 0 and 99", "" + percent);
      }
    }
  }

  /**
   * Sets the longest pause of the guest allowed at the switch to the target.
   *
   * @param maxDowntime positive
   */
  record SetMaxDowntime(Duration maxDowntime) implements Directive {
    /** Validates the downtime. */
    public SetMaxDowntime {
      if (maxDowntime.isNegative() || maxDowntime.isZero()) {
        throw new InvalidValueException("maxDowntime", "must be positive", maxDowntime.toString());
      }
    }
  }

  /**
   * Sets the migration's bandwidth limit.
   *
   * @param bytesPerSecond the limit in bytes per second; 0 means unlimited
   */
  record SetBandwidth(long bytesPerSecond) implements Directive {
    /** Validates the bandwidth. */
    public SetBandwidth {
      if (bytesPerSecond < 0) {
        throw new InvalidValueException("bytesPerSecond", "must be >= 0", "" + bytesPerSecond);
      }
    }
  }

  /** Starts the guest on the target now and fetches the rest of its memory on demand. */
  record SwitchToPostCopy() implements Directive {}

  /**
   * Pauses the guest on the source so that it dirties no more memory and the copy completes; the
   * guest runs again on the target (KubeVirt's {@code Paused} mode, chosen when the completion
   * budget ran out, {@code allowWorkloadDisruption} is set and post-copy is not allowed). Unlike
   * post-copy, the source keeps the whole state until the switch, so an abort or a failure before
   * it leaves the guest on the source, where the backend resumes it.
   */
  record PauseGuest() implements Directive {}

  /**
   * Stops the migration; the guest keeps running on the source.
   *
   * @param reason why, in words a person can act on
   */
  record Abort(String reason) implements Directive {}
}
