package dev.livemigration.core.strategy;

import dev.livemigration.api.Directive;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.api.spi.StrategyInput;

/**
 * What KubeVirt does with the configuration alone: the {@code converging} strategy when {@code
 * allowAutoConverge}, otherwise the {@code plain} one. The switch to post-copy at the completion
 * timeout is the engine's.
 *
 * @param converging the strategy used when auto-converge is allowed
 * @param plain the strategy used otherwise
 */
record KubeVirtDefault(MigrationStrategy converging, MigrationStrategy plain)
    implements MigrationStrategy {
  /** This strategy's id. */
  static final String ID = "kubevirt";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public Directive decide(StrategyInput input) {
    MigrationStrategy chosen = input.configuration().allowAutoConverge() ? converging : plain;
    return chosen.decide(input);
  }
}
