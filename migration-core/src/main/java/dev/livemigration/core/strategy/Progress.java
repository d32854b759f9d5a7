package dev.livemigration.core.strategy;

import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.StrategyInput;
import java.util.List;

/** The readings of progress the built-in strategies share, each defined once. */
final class Progress {
  private Progress() {}

  /**
   * Whether the migration can still be steered: its job is active and still in pre-copy. A finished
   * job, or one already in post-copy, gets nothing but {@code CONTINUE}.
   */
  static boolean inPreCopy(StrategyInput input) {
    ProgressSample latest = input.latest();
    return latest.status() == ProgressSample.Status.ACTIVE
        && latest.mode() == MigrationMode.PRE_COPY;
  }

  /**
   * Whether the first full pass over memory has completed: the latest sample is in pass 2 or later.
   */
  static boolean firstPassCompleted(StrategyInput input) {
    return input.latest().iteration() >= 2;
  }

  /**
   * Whether a pre-copy pass completed between the previous sample and the latest: the pass number
   * went up, to 2 or more (moving from 0 to 1 only starts the first pass).
   */
  static boolean passCompleted(StrategyInput input) {
    return firstPassCompleted(input) && input.latest().iteration() > input.previous().iteration();
  }

  /**
   * Whether the guest dirties memory at least as fast as the migration moves it, with data actually
   * moving (a transfer rate of 0 means no measurement, not a losing race).
   */
  static boolean dirtyRateOutrunsTransfer(ProgressSample sample) {
    return sample.transferRate() > 0 && sample.dirtyRate() >= sample.transferRate();
  }

  /**
   * Returns the pass at which the data remaining reached its low-water mark: the first of the
   * history's samples and the latest, oldest first, whose {@code dataRemaining} is strictly lower
   * than every earlier one's. Only the (bounded) history is known, so a mark older than it is
   * forgotten.
   */
  static long lowWaterIteration(StrategyInput input) {
    List<ProgressSample> history = input.history();
    ProgressSample lowest = input.latest();
    for (int i = history.size() - 1; i >= 0; i--) {
      ProgressSample earlier = history.get(i);
      if (earlier.dataRemaining() <= lowest.dataRemaining()) {
        lowest = earlier;
      }
    }
    return lowest.iteration();
  }

  /**
   * Whether pre-copy has stalled: the data remaining has made no new low-water mark for at least
   * {@code iterations} passes, that is the mark was reached in a pass at least {@code iterations}
   * below the latest.
   */
  static boolean stalled(StrategyInput input, int iterations) {
    return input.latest().iteration() - lowWaterIteration(input) >= iterations;
  }

  /**
   * Whether the migration has used at least half its completion budget ({@code elapsed * 2 >=
   * completionTimeout}).
   */
  static boolean halfBudgetUsed(StrategyInput input) {
    return input.elapsed().compareTo(input.completionTimeout().minus(input.elapsed())) >= 0;
  }
}
