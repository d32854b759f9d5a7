package dev.livemigration.api.spi;

import dev.livemigration.api.Directive;

/**
 * Decides, from a migration's progress, what the migration should do next: a pure function that
 * never calls a backend, so it can be tested with plain samples. The engine still enforces the
 * effective configuration: a throttle without {@code allowAutoConverge} or a switch to post-copy
 * without {@code allowPostCopy} is not applied.
 */
public interface MigrationStrategy {

  /** A short, stable name, for example {@code pre-copy}. */
  String id();

  /**
   * Returns the directive for the migration's latest progress; {@link Directive#CONTINUE} if none.
   */
  Directive decide(StrategyInput input);
}
