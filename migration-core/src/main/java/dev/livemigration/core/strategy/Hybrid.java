package dev.livemigration.core.strategy;

import static dev.livemigration.core.strategy.Strategies.STALL_ITERATIONS;

import dev.livemigration.api.Directive;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.StrategyInput;

/**
 * Hybrid: pre-copy that, if {@code allowPostCopy}, asks to switch to post-copy when pre-copy stalls
 * or has used half its completion budget. It asks again on every sample until the switch shows in
 * the sample's mode.
 */
record Hybrid() implements MigrationStrategy {
  /** This strategy's id. */
  static final String ID = "hybrid";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public Directive decide(StrategyInput input) {
    if (input.configuration().allowPostCopy()
        && Progress.inPreCopy(input)
        && (Progress.stalled(input, STALL_ITERATIONS) || Progress.halfBudgetUsed(input))) {
      return new Directive.SwitchToPostCopy();
    }
    return Directive.CONTINUE;
  }
}
