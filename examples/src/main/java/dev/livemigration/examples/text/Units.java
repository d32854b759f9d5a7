package dev.livemigration.examples.text;

import dev.livemigration.api.Directive;
import java.time.Duration;
import java.util.Locale;

/** How the demo and the CLI write byte counts, rates and durations for people. */
public final class Units {
  private static final String[] BINARY = {"B", "KiB", "MiB", "GiB", "TiB"};

  private Units() {}

  /** {@code 1536} → {@code 1.5 KiB}; {@code 1073741824} → {@code 1.00 GiB}. */
  public static String bytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    double value = bytes;
    int unit = 0;
    while (value >= 1024 && unit < BINARY.length - 1) {
      value /= 1024;
      unit++;
    }
    String pattern = value >= 100 ? "%.0f %s" : value >= 10 ? "%.1f %s" : "%.2f %s";
    return String.format(Locale.ROOT, pattern, value, BINARY[unit]);
  }

  /** Bytes per second, or {@code unlimited} for 0. */
  public static String rate(long bytesPerSecond) {
    return bytesPerSecond == 0 ? "unlimited" : bytes(bytesPerSecond) + "/s";
  }

  /** {@code 0.4 s}, {@code 12.3 s}, {@code 2 min 5 s}. */
  public static String duration(Duration duration) {
    double seconds = duration.toNanos() / 1e9;
    if (seconds < 120) {
      return String.format(Locale.ROOT, seconds < 10 ? "%.2f s" : "%.1f s", seconds);
    }
    long whole = duration.toSeconds();
    return whole / 60 + " min " + whole % 60 + " s";
  }

  /** {@code 280 ms} below a second, else as {@link #duration}. */
  public static String millis(Duration duration) {
    return duration.compareTo(Duration.ofSeconds(1)) < 0
        ? duration.toMillis() + " ms"
        : duration(duration);
  }

  /** A strategy's directive in words: {@code auto-converge: guest CPU throttled to 30%}. */
  public static String directive(Directive directive) {
    if (directive instanceof Directive.Throttle throttle) {
      return "auto-converge: guest CPU throttled to " + throttle.percent() + "%";
    }
    if (directive instanceof Directive.SwitchToPostCopy) {
      return "post-copy requested: the guest moves to the target unless pre-copy is already"
          + " finishing";
    }
    if (directive instanceof Directive.SetBandwidth bandwidth) {
      return "bandwidth set to " + rate(bandwidth.bytesPerSecond());
    }
    if (directive instanceof Directive.SetMaxDowntime downtime) {
      return "maximum downtime set to " + millis(downtime.maxDowntime());
    }
    return directive.toString();
  }
}
