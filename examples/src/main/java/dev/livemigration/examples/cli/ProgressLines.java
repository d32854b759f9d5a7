package dev.livemigration.examples.cli;

import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.examples.text.Units;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Shows migrations on real hosts while they run: a line per migration at most every {@link
 * #INTERVAL} (sent, remaining, transfer rate, pass, throttle), and a line for each directive, abort
 * request and end. Written to standard error, so that {@code -o json|yaml} output stays clean.
 */
final class ProgressLines implements MigrationListener {
  static final Duration INTERVAL = Duration.ofSeconds(1);

  private final PrintWriter err;
  private final Map<String, Instant> lastLine = new HashMap<>();

  ProgressLines(PrintWriter err) {
    this.err = err;
  }

  @Override
  public synchronized void onEvent(MigrationEvent event) {
    String vmi = event.request().vmiName();
    if (event instanceof MigrationEvent.Progress progress) {
      Instant last = lastLine.get(progress.migrationUid());
      if (last == null || !progress.timestamp().isBefore(last.plus(INTERVAL))) {
        lastLine.put(progress.migrationUid(), progress.timestamp());
        print(vmi + ": " + describe(progress.sample()));
      }
    } else if (event instanceof MigrationEvent.DirectiveApplied applied) {
      print(vmi + ": " + Units.directive(applied.directive()) + " (" + applied.reason() + ")");
    } else if (event instanceof MigrationEvent.AbortRequested) {
      print(vmi + ": abort requested");
    } else if (event instanceof MigrationEvent.Succeeded) {
      lastLine.remove(event.migrationUid());
      print(vmi + ": succeeded");
    } else if (event instanceof MigrationEvent.Failed) {
      lastLine.remove(event.migrationUid());
      print(vmi + ": failed");
    }
  }

  /** {@code pass 2, sent 812 MiB, remaining 120 MiB, 45.1 MiB/s, throttle 30%}. */
  static String describe(ProgressSample sample) {
    StringBuilder line =
        new StringBuilder("pass ")
            .append(sample.iteration())
            .append(", sent ")
            .append(Units.bytes(sample.dataProcessed()))
            .append(", remaining ")
            .append(Units.bytes(sample.dataRemaining()))
            .append(", ")
            .append(Units.bytes(sample.transferRate()))
            .append("/s");
    if (sample.throttlePercent() > 0) {
      line.append(", throttle ").append(sample.throttlePercent()).append('%');
    }
    return line.toString();
  }

  private void print(String line) {
    err.println(line);
    err.flush();
  }
}
