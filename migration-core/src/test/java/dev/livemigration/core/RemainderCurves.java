package dev.livemigration.core;

import java.time.Duration;
import java.util.Optional;
import java.util.function.LongFunction;

/** Curves of the data remaining over time, in whole seconds, for the stall rule's tests. */
final class RemainderCurves {
  private RemainderCurves() {}

  /** One sample: the data remaining and the pass. */
  record Point(long remaining, long iteration) {}

  /**
   * Passes that each start at {@code ratio} times the one before, sent at {@code bandwidth}: the
   * remainder falls through a pass and starts the next at what the guest dirtied meanwhile. Empty
   * (done) once a pass start fits {@code downtime}.
   */
  static LongFunction<Optional<Point>> shrinkingPasses(
      long first, double ratio, long bandwidth, Duration downtime) {
    return t -> {
      double start = first;
      double passBegan = 0;
      long pass = 1;
      while (passBegan + start / bandwidth <= t) {
        passBegan += start / bandwidth;
        start *= ratio;
        pass++;
        if (start / bandwidth <= downtime.toMillis() / 1000.0) {
          return Optional.empty();
        }
      }
      return Optional.of(new Point((long) (start - bandwidth * (t - passBegan)), pass));
    };
  }
}
