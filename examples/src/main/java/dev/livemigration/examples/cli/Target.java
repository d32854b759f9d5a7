package dev.livemigration.examples.cli;

import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationState;
import java.time.Duration;
import java.util.List;

/** Where the CLI's engine migrates: a simulated cluster or real hosts. */
interface Target extends AutoCloseable {

  /** The engine wired to this target. */
  MigrationEngine engine();

  /**
   * Lets the migrations run until they end, cancelling {@code toCancel} after {@code cancelAfter}
   * if that is given; returns their final states in order.
   */
  List<MigrationState> await(List<MigrationHandle> handles, Duration cancelAfter);

  @Override
  void close();
}
