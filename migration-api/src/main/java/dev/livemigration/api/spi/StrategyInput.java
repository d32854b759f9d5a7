package dev.livemigration.api.spi;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.ProgressSample;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link MigrationStrategy} decides from.
 *
 * @param latest the newest progress sample
 * @param history earlier samples of this migration, oldest first (bounded; may be empty)
 * @param configuration the migration's effective configuration
 * @param elapsed time since the migration started running
 * @param completionTimeout the migration's completion budget
 */
public record StrategyInput(
    ProgressSample latest,
    List<ProgressSample> history,
    MigrationConfiguration configuration,
    Duration elapsed,
    Duration completionTimeout) {

  /** Copies the history and checks that no component is null. */
  public StrategyInput {
    Objects.requireNonNull(latest, "latest");
    history = List.copyOf(history);
    Objects.requireNonNull(configuration, "configuration");
    Objects.requireNonNull(elapsed, "elapsed");
    Objects.requireNonNull(completionTimeout, "completionTimeout");
  }

  /** Returns the sample before the latest, or the latest itself when there is none. */
  public ProgressSample previous() {
    return history.isEmpty() ? latest : history.get(history.size() - 1);
  }
}
