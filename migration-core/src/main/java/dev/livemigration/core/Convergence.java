package dev.livemigration.core;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.StallDetector;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Tells a converging pre-copy from a stuck one, from the physics of passes.
 *
 * <p>Each pass sends what the guest dirtied during the one before, so the data remaining at the
 * start of a pass is what pre-copy has yet to beat: a migration converges while those pass-start
 * remainders fall. Progress is therefore:
 *
 * <ul>
 *   <li>a pass that starts at least the margin below the start of the last converging pass (the
 *       first pass, which sends all memory once, always converges);
 *   <li>within such a converging pass, each fall of the remainder by at least the margin of what it
 *       was at the last progress: however long the pass, it gets closer to its end.
 * </ul>
 *
 * A pass that starts no lower (a plateau, a sawtooth without a downward trend, a guest that dirties
 * faster than the link sends) makes no progress, however its remainder falls within it; nor does a
 * fall smaller than the margin (a remainder creeping down by a byte). A migration is stalled once
 * nothing counted as progress for the patience. Backends that do not count passes are read by the
 * remainder: a rise by more than the margin starts a pass.
 *
 * <p>The margin is 1 % and the patience the configuration's {@code progressTimeout}; with
 * KubeVirt's {@code experimental.stallDetector} set, its {@code stallMargin} and {@code
 * stallProgressTimeout} (when not zero) are used instead. Not thread-safe: used under the
 * migration's monitor.
 */
final class Convergence {
  /** The margin without a stall detector: a fall of 1 % is progress. */
  static final int DEFAULT_MARGIN_PERCENT = 1;

  private final double margin;
  private final int marginPercent;
  private final Duration patience;
  private final String patienceName;

  private long lastIteration = -1;
  private long lastRemaining = -1;
  private long pass;
  private long passStart;
  private long trendAnchor = Long.MAX_VALUE;
  private long trendAnchorPass;
  private boolean passConverging;
  private long anchor;
  private Instant lastProgressAt;

  Convergence(int marginPercent, Duration patience, String patienceName, Instant start) {
    this.marginPercent = marginPercent;
    this.margin = marginPercent / 100.0;
    this.patience = patience;
    this.patienceName = patienceName;
    this.lastProgressAt = start;
  }

  /** The rule for a migration with this effective configuration, patient from {@code start}. */
  static Convergence of(MigrationConfiguration configuration, Instant start) {
    Optional<StallDetector> detector = configuration.experimental().flatMap(e -> e.stallDetector());
    int margin = detector.map(StallDetector::stallMargin).orElse(DEFAULT_MARGIN_PERCENT);
    Optional<Duration> detectorPatience =
        detector.map(StallDetector::stallProgressTimeout).filter(timeout -> !timeout.isZero());
    return detectorPatience
        .map(patience -> new Convergence(margin, patience, "stallProgressTimeout", start))
        .orElseGet(
            () ->
                new Convergence(margin, configuration.progressTimeout(), "progressTimeout", start));
  }

  /** How long the migration may go without progress. */
  Duration patience() {
    return patience;
  }

  /** Reads one pre-copy sample taken at {@code now}. */
  void observe(ProgressSample sample, Instant now) {
    long remaining = sample.dataRemaining();
    boolean newPass =
        lastIteration < 0
            || sample.iteration() > lastIteration
            || remaining > lastRemaining + lastRemaining * margin;
    lastIteration = sample.iteration();
    lastRemaining = remaining;
    if (newPass) {
      pass++;
      passStart = remaining;
      passConverging = pass == 1 || remaining < trendAnchor - trendAnchor * margin;
      if (passConverging) {
        trendAnchor = remaining;
        trendAnchorPass = pass;
        progress(remaining, now);
      }
    } else if (passConverging && remaining < anchor - anchor * margin) {
      progress(remaining, now);
    }
  }

  /**
   * Starts afresh at {@code now}: after the guest was paused nothing dirties memory, so the pass
   * under way converges whatever came before.
   */
  void restart(Instant now) {
    lastIteration = -1;
    lastRemaining = -1;
    pass = 0;
    trendAnchor = Long.MAX_VALUE;
    lastProgressAt = now;
  }

  private void progress(long remaining, Instant now) {
    anchor = remaining;
    lastProgressAt = now;
  }

  /** Whether nothing counted as progress for the patience. */
  boolean stalled(Instant now) {
    return Duration.between(lastProgressAt, now).compareTo(patience) >= 0;
  }

  /** The remainder at the start of the last converging pass: the least switch-over yet in view. */
  long bestPassStart() {
    return trendAnchor == Long.MAX_VALUE ? lastRemaining : trendAnchor;
  }

  /** Says why the migration counts as stalled, with the figures of its latest sample. */
  String describe(ProgressSample sample, Instant now) {
    StringBuilder why =
        new StringBuilder("progress timeout: the migration stalled, no progress for ")
            .append(Duration.between(lastProgressAt, now).toSeconds())
            .append(" s (")
            .append(patienceName)
            .append(" ")
            .append(patience.toSeconds())
            .append(" s): ");
    if (passConverging) {
      why.append("the data remaining has not fallen ")
          .append(marginPercent)
          .append(" % below ")
          .append(mib(anchor))
          .append(" within pass ")
          .append(pass);
    } else {
      why.append("pass ")
          .append(pass)
          .append(" started at ")
          .append(mib(passStart))
          .append(", not ")
          .append(marginPercent)
          .append(" % below the ")
          .append(mib(trendAnchor))
          .append(" at which pass ")
          .append(trendAnchorPass)
          .append(" started");
    }
    why.append("; the guest dirties ")
        .append(mib(sample.dirtyRate()))
        .append("/s while ")
        .append(mib(sample.transferRate()))
        .append("/s are sent");
    return why.toString();
  }

  private static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }
}
