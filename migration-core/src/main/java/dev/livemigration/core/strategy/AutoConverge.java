package dev.livemigration.core.strategy;

import static dev.livemigration.core.strategy.Strategies.INITIAL_THROTTLE_PERCENT;
import static dev.livemigration.core.strategy.Strategies.MAX_THROTTLE_PERCENT;
import static dev.livemigration.core.strategy.Strategies.THROTTLE_INCREMENT_PERCENT;

import dev.livemigration.api.Directive;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.StrategyInput;

/**
 * Auto-converge: in pre-copy, if {@code allowAutoConverge}, throttles the guest one step further
 * each time a pass completes while its dirty rate outruns the transfer.
 */
record AutoConverge() implements MigrationStrategy {
  /** This strategy's id. */
  static final String ID = "auto-converge";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public Directive decide(StrategyInput input) {
    if (input.configuration().allowAutoConverge()
        && Progress.inPreCopy(input)
        && Progress.passCompleted(input)
        && Progress.dirtyRateOutrunsTransfer(input.latest())) {
      return new Directive.Throttle(nextThrottle(input.latest()));
    }
    return Directive.CONTINUE;
  }

  /**
   * The step after the sample's throttle: the initial step when the guest is not throttled, else
   * one increment more, never below the initial step and at most the maximum.
   */
  static int nextThrottle(ProgressSample sample) {
    int current = sample.throttlePercent();
    if (current <= 0) {
      return INITIAL_THROTTLE_PERCENT;
    }
    long next = (long) current + THROTTLE_INCREMENT_PERCENT;
    return (int) Math.min(MAX_THROTTLE_PERCENT, Math.max(INITIAL_THROTTLE_PERCENT, next));
  }
}
