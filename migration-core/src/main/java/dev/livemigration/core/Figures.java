package dev.livemigration.core;

import dev.livemigration.api.Directive;
import dev.livemigration.api.ProgressEstimate;
import dev.livemigration.api.ProgressSample;
import java.util.Locale;

/** The figures of samples and directives in words, for reasons and the decision log. */
final class Figures {
  private Figures() {}

  /** Bytes as MiB with one decimal: {@code 812.0 MiB}. */
  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  /** A sample's pass, remainder and rates: {@code pass 5: remaining 812.0 MiB, dirty …}. */
  static String of(ProgressSample sample) {
    return "pass "
        + sample.iteration()
        + ": remaining "
        + mib(sample.dataRemaining())
        + ", dirty "
        + mib(sample.dirtyRate())
        + "/s, sent "
        + mib(sample.transferRate())
        + "/s";
  }

  /** An estimate in words: {@code 42 %, 31.5 s to go, switch-over ~120 ms}. */
  static String of(ProgressEstimate estimate) {
    return estimate.percent()
        + " %, "
        + estimate
            .timeRemaining()
            .map(d -> String.format(Locale.ROOT, "%.1f s to go", d.toMillis() / 1000.0))
            .orElse("time to go unknown")
        + estimate.expectedDowntime().map(d -> ", switch-over ~" + d.toMillis() + " ms").orElse("");
  }

  /** What a directive changes, from the sample before it: {@code throttle 20 % → 30 %}. */
  static String change(Directive directive, ProgressSample before) {
    if (directive instanceof Directive.Throttle throttle) {
      return "throttle " + before.throttlePercent() + " % → " + throttle.percent() + " %";
    }
    if (directive instanceof Directive.SetMaxDowntime downtime) {
      return "downtime limit → " + downtime.maxDowntime().toMillis() + " ms";
    }
    if (directive instanceof Directive.SetBandwidth bandwidth) {
      return bandwidth.bytesPerSecond() == 0
          ? "bandwidth → unlimited"
          : "bandwidth → " + mib(bandwidth.bytesPerSecond()) + "/s";
    }
    if (directive instanceof Directive.SwitchToPostCopy) {
      return "switch to post-copy";
    }
    if (directive instanceof Directive.PauseGuest) {
      return "pause the guest";
    }
    return directive.toString();
  }
}
