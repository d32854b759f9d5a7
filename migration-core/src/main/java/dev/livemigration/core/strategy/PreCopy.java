package dev.livemigration.core.strategy;

import dev.livemigration.api.Directive;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.StrategyInput;

/** Pre-copy alone: copies memory until it converges and never steers the migration. */
record PreCopy() implements MigrationStrategy {
  /** This strategy's id. */
  static final String ID = "pre-copy";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public Directive decide(StrategyInput input) {
    return Directive.CONTINUE;
  }
}
