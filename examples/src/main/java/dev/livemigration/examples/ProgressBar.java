package dev.livemigration.examples;

import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressEstimate;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.examples.text.Units;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Shows one migration's events on a terminal: a progress bar drawn from its {@link
 * MigrationEvent.Progress} samples (sent, remaining, rate, pass, ETA) and a line for each other
 * event worth telling (scheduled, target ready, a strategy's directive, an abort request).
 *
 * <p>On an interactive terminal the bar is redrawn in place with {@code \r}; otherwise one line is
 * printed per {@link #LINE_INTERVAL} at most, plus the last sample, so logs stay readable.
 */
final class ProgressBar implements MigrationListener {
  /** How often a bar line is printed when not redrawing in place: 1 second. */
  static final Duration LINE_INTERVAL = Duration.ofSeconds(1);

  private static final int BAR_WIDTH = 20;

  private final PrintStream out;
  private final boolean inPlace;
  private final LongSupplier nanoClock;
  private ProgressSample last;
  private Optional<ProgressEstimate> lastEstimate = Optional.empty();
  private long lastLineNanos;
  private boolean lineShown;
  private int drawnWidth;

  /**
   * @param out where to draw
   * @param inPlace whether {@code out} is an interactive terminal that honours {@code \r}
   * @param nanoClock a monotonic clock in nanoseconds, for the pace of lines
   */
  ProgressBar(PrintStream out, boolean inPlace, LongSupplier nanoClock) {
    this.out = out;
    this.inPlace = inPlace;
    this.nanoClock = nanoClock;
  }

  @Override
  public synchronized void onEvent(MigrationEvent event) {
    if (event instanceof MigrationEvent.Progress progress) {
      show(progress.sample(), progress.estimate());
    } else if (event instanceof MigrationEvent.Scheduled scheduled) {
      note("scheduled: " + scheduled.sourceNode() + " -> " + scheduled.targetNode());
    } else if (event instanceof MigrationEvent.TargetReady ready) {
      note(
          "target ready on "
              + ready.targetNodeAddress()
              + ", ports "
              + new TreeMap<>(ready.ports())
                  .entrySet().stream()
                      .map(Map.Entry::toString)
                      .reduce((a, b) -> a + ", " + b)
                      .orElse("none"));
    } else if (event instanceof MigrationEvent.DirectiveApplied applied) {
      note(Units.directive(applied.directive()) + " (" + applied.reason() + ")");
    } else if (event instanceof MigrationEvent.LinkBroken broken) {
      note(
          "post-copy link broken ("
              + broken.reason()
              + "): paused; the guest waits on the target for the pages it lacks while the source"
              + " reconnects");
    } else if (event instanceof MigrationEvent.LinkRecovered recovered) {
      note(
          "post-copy link recovered after "
              + recovered.attempts()
              + " attempt(s): resumed where it stopped");
    } else if (event instanceof MigrationEvent.AbortRequested) {
      note("abort requested");
    } else if (event instanceof MigrationEvent.Succeeded
        || event instanceof MigrationEvent.Failed) {
      finish();
    }
  }

  /** The latest sample, if one came. */
  synchronized Optional<ProgressSample> last() {
    return Optional.ofNullable(last);
  }

  /**
   * Returns a stream that writes to {@code target} starting on a line of its own: it ends the bar's
   * line first. For the library's log lines while the bar is drawn in place; the bar is drawn again
   * under them with the next sample.
   */
  PrintStream beside(PrintStream target) {
    return new PrintStream(
        new OutputStream() {
          @Override
          public void write(int b) {
            breakLine();
            target.write(b);
          }

          @Override
          public void write(byte[] bytes, int offset, int length) {
            breakLine();
            target.write(bytes, offset, length);
          }

          @Override
          public void flush() {
            target.flush();
          }
        },
        true,
        StandardCharsets.UTF_8);
  }

  private synchronized void breakLine() {
    if (inPlace && drawnWidth > 0) {
      out.println();
      out.flush();
      drawnWidth = 0;
    }
  }

  /** Ends the bar's line, so that what follows starts on a fresh one. Idempotent. */
  synchronized void finish() {
    if (inPlace && drawnWidth > 0) {
      out.println();
      drawnWidth = 0;
    }
    out.flush();
  }

  private void show(ProgressSample sample, Optional<ProgressEstimate> estimate) {
    last = sample;
    lastEstimate = estimate;
    String line = line(sample, estimate);
    if (inPlace) {
      draw(line);
      return;
    }
    long now = nanoClock.getAsLong();
    boolean due = !lineShown || now - lastLineNanos >= LINE_INTERVAL.toNanos();
    if (due || sample.status() != ProgressSample.Status.ACTIVE) {
      out.println(line);
      lineShown = true;
      lastLineNanos = now;
    }
  }

  /** Prints a line of the demo's own, like an event's. */
  synchronized void note(String text) {
    if (inPlace && drawnWidth > 0) {
      draw(text);
      out.println();
      drawnWidth = 0;
      if (last != null) {
        draw(line(last, lastEstimate));
      }
    } else {
      out.println(text);
    }
  }

  private void draw(String line) {
    out.print('\r');
    out.print(line);
    if (line.length() < drawnWidth) {
      out.print(" ".repeat(drawnWidth - line.length()));
    }
    out.flush();
    drawnWidth = Math.max(line.length(), 1);
  }

  /** One sample as a bar line, without the engine's estimate. */
  static String line(ProgressSample sample) {
    return line(sample, Optional.empty());
  }

  /**
   * One sample as a bar line: the engine's percentage (which never runs backwards) and time
   * remaining when it gave them, else the share of the total not remaining.
   */
  static String line(ProgressSample sample, Optional<ProgressEstimate> estimate) {
    long total = sample.dataTotal();
    long remaining = Math.min(sample.dataRemaining(), total);
    double done =
        estimate
            .map(e -> e.percent() / 100.0)
            .orElse(total == 0 ? 0 : (double) (total - remaining) / total);
    if (sample.status() == ProgressSample.Status.COMPLETED) {
      done = 1;
    }
    int filled = (int) Math.round(done * BAR_WIDTH);
    StringBuilder line = new StringBuilder("[");
    line.append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ");
    line.append(String.format(Locale.ROOT, "%3.0f%%", done * 100));
    line.append("  sent ").append(Units.bytes(sample.dataProcessed()));
    line.append("  remaining ").append(Units.bytes(remaining));
    line.append("  ").append(Units.bytes(sample.transferRate())).append("/s");
    line.append("  pass ").append(sample.iteration());
    if (sample.mode() == MigrationMode.POST_COPY) {
      line.append("  post-copy");
    } else if (sample.mode() == MigrationMode.POST_COPY_PAUSED) {
      line.append("  post-copy PAUSED, reconnecting (attempt ")
          .append(sample.reconnectAttempts())
          .append(')');
    }
    if (sample.throttlePercent() > 0) {
      line.append("  throttle ").append(sample.throttlePercent()).append('%');
    }
    estimate
        .flatMap(ProgressEstimate::expectedDowntime)
        .ifPresent(d -> line.append("  switch-over ~").append(d.toMillis()).append(" ms"));
    line.append("  ETA ").append(eta(sample, remaining, estimate));
    return line.toString();
  }

  private static String eta(
      ProgressSample sample, long remaining, Optional<ProgressEstimate> estimate) {
    if (sample.status() != ProgressSample.Status.ACTIVE) {
      return sample.status() == ProgressSample.Status.COMPLETED ? "done" : "-";
    }
    if (estimate.isPresent()) {
      return estimate.get().timeRemaining().map(ProgressBar::duration).orElse("?");
    }
    if (sample.transferRate() <= 0) {
      return "?";
    }
    return duration(
        Duration.ofSeconds((long) Math.ceil((double) remaining / sample.transferRate())));
  }

  private static String duration(Duration remaining) {
    long seconds = (long) Math.ceil(remaining.toMillis() / 1000.0);
    return seconds < 60
        ? seconds + "s"
        : TimeUnit.SECONDS.toMinutes(seconds) + "m" + (seconds % 60) + "s";
  }
}
