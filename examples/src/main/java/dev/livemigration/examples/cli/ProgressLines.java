package dev.livemigration.examples.cli;

import dev.livemigration.api.Decision;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressEstimate;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.examples.text.Units;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Shows migrations on real hosts while they run: a line per migration at most every {@link
 * #INTERVAL} (the engine's percentage, pass, sent, remaining, transfer rate, time left, expected
 * switch-over pause, throttle), a line for each new decision of the engine's decision log (what it
 * did and why, with the figures), and a line for each abort request and end. Written to standard
 * error, so that {@code -o json|yaml} output stays clean.
 *
 * <p>Decisions are read from the migration's state: on each directive, with each progress line and
 * at the end. Without a state (the engine is not up yet, say), a directive is told from its event.
 */
final class ProgressLines implements MigrationListener {
  static final Duration INTERVAL = Duration.ofSeconds(1);

  private final PrintWriter err;
  private final Function<MigrationEvent, Optional<MigrationState>> states;
  private final Map<String, Instant> lastLine = new HashMap<>();
  private final Map<String, Decision> lastDecision = new HashMap<>();

  /**
   * @param err where to write
   * @param states the current state of an event's migration, for its decision log; empty when
   *     unknown
   */
  ProgressLines(PrintWriter err, Function<MigrationEvent, Optional<MigrationState>> states) {
    this.err = Objects.requireNonNull(err, "err");
    this.states = Objects.requireNonNull(states, "states");
  }

  /** The states of an engine's migrations, once {@code engine} gives one; empty before. */
  static Function<MigrationEvent, Optional<MigrationState>> statesIn(
      Supplier<? extends MigrationEngine> engine) {
    return event ->
        Optional.ofNullable(engine.get())
            .flatMap(e -> e.find(event.request().namespace(), event.request().name()))
            .filter(handle -> handle.uid().equals(event.migrationUid()))
            .map(MigrationHandle::state);
  }

  @Override
  public synchronized void onEvent(MigrationEvent event) {
    String vmi = event.request().vmiName();
    if (event instanceof MigrationEvent.Progress progress) {
      Instant last = lastLine.get(progress.migrationUid());
      if (last == null || !progress.timestamp().isBefore(last.plus(INTERVAL))) {
        lastLine.put(progress.migrationUid(), progress.timestamp());
        decisions(event, stateOf(event));
        print(vmi + ": " + describe(progress.sample(), progress.estimate()));
      }
    } else if (event instanceof MigrationEvent.DirectiveApplied applied) {
      if (!decisions(event, stateOf(event))) {
        print(vmi + ": " + Units.directive(applied.directive()) + " (" + applied.reason() + ")");
      }
    } else if (event instanceof MigrationEvent.AbortRequested) {
      print(vmi + ": abort requested");
    } else if (event instanceof MigrationEvent.Succeeded succeeded) {
      decisions(event, Optional.of(succeeded.state()));
      forget(event.migrationUid());
      print(vmi + ": succeeded");
    } else if (event instanceof MigrationEvent.Failed failed) {
      decisions(event, Optional.of(failed.state()));
      forget(event.migrationUid());
      print(vmi + ": failed");
    }
  }

  private Optional<MigrationState> stateOf(MigrationEvent event) {
    try {
      return states.apply(event);
    } catch (RuntimeException e) {
      // The engine closing, say: the progress line goes on without the decisions.
      return Optional.empty();
    }
  }

  /** Prints the decisions of {@code state} not shown yet; returns whether there were any. */
  private boolean decisions(MigrationEvent event, Optional<MigrationState> state) {
    List<Decision> all = state.map(MigrationState::decisions).orElse(List.of());
    if (all.isEmpty()) {
      return false;
    }
    Decision shown = lastDecision.get(event.migrationUid());
    int from;
    if (shown == null) {
      from = 0;
    } else if (all.lastIndexOf(shown) >= 0) {
      from = all.lastIndexOf(shown) + 1;
    } else {
      // The log dropped it (it keeps the latest decisions): show those taken after it.
      from = 0;
      while (from < all.size() && !all.get(from).timestamp().isAfter(shown.timestamp())) {
        from++;
      }
    }
    for (Decision decision : all.subList(from, all.size())) {
      print(event.request().vmiName() + ": " + describe(decision));
    }
    if (from < all.size()) {
      lastDecision.put(event.migrationUid(), all.get(all.size() - 1));
      return true;
    }
    return false;
  }

  private void forget(String uid) {
    lastLine.remove(uid);
    lastDecision.remove(uid);
  }

  /** {@code decided: throttle 20 % → 30 % (pass 5: remaining 812.0 MiB, …)}. */
  static String describe(Decision decision) {
    return "decided: " + decision.action() + " (" + decision.reason() + ")";
  }

  /**
   * {@code 42%, pass 2, sent 812 MiB, remaining 120 MiB, 45.1 MiB/s, 12 s left, switch-over ~80 ms,
   * throttle 30%}: the percentage, time left and switch-over pause when the engine estimated them.
   */
  static String describe(ProgressSample sample, Optional<ProgressEstimate> estimate) {
    StringBuilder line = new StringBuilder();
    estimate.ifPresent(e -> line.append(e.percent()).append("%, "));
    line.append("pass ")
        .append(sample.iteration())
        .append(", sent ")
        .append(Units.bytes(sample.dataProcessed()))
        .append(", remaining ")
        .append(Units.bytes(sample.dataRemaining()))
        .append(", ")
        .append(Units.bytes(sample.transferRate()))
        .append("/s");
    if (sample.mode() == MigrationMode.POST_COPY) {
      line.append(", post-copy");
    } else if (sample.mode() == MigrationMode.POST_COPY_PAUSED) {
      line.append(", post-copy paused");
    }
    estimate.ifPresent(
        e -> {
          line.append(", ")
              .append(e.timeRemaining().map(ProgressLines::left).orElse("time left ?"));
          e.expectedDowntime()
              .ifPresent(d -> line.append(", switch-over ~").append(Units.millis(d)));
        });
    if (sample.throttlePercent() > 0) {
      line.append(", throttle ").append(sample.throttlePercent()).append('%');
    }
    return line.toString();
  }

  /** {@code 12 s left}, {@code 2 min 5 s left}: whole seconds, rounded up. */
  static String left(Duration remaining) {
    long seconds = (remaining.toNanos() + 999_999_999L) / 1_000_000_000L;
    return (seconds < 120 ? seconds + " s" : seconds / 60 + " min " + seconds % 60 + " s")
        + " left";
  }

  private void print(String line) {
    err.println(line);
    err.flush();
  }
}
