package dev.livemigration.core.strategy;

import dev.livemigration.api.Directive;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.StrategyInput;

/**
 * Post-copy: starts as pre-copy and asks to switch to post-copy once the first full pass over
 * memory has completed, if {@code allowPostCopy}. It asks again on every sample until the switch
 * shows in the sample's mode.
 */
record PostCopy() implements MigrationStrategy {
  /** This strategy's id. */
  static final String ID = "post-copy";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public Directive decide(StrategyInput input) {
    if (input.configuration().allowPostCopy()
        && Progress.inPreCopy(input)
        && Progress.firstPassCompleted(input)) {
      return new Directive.SwitchToPostCopy();
    }
    return Directive.CONTINUE;
  }
}
