package dev.livemigration.examples.cli;

import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Where the CLI's engine migrates: the simulated cluster in virtual time, or libvirt hosts. */
interface Target extends AutoCloseable {

  /** The engine wired to this target. */
  MigrationEngine engine();

  /** The target's clock: virtual on the simulated cluster, the wall clock on real hosts. */
  Instant now();

  /** Lets {@code duration} pass on the target's clock while migrations run. */
  void pass(Duration duration);

  /** Lets the migrations run until every one has ended; returns their final states in order. */
  List<MigrationState> await(List<MigrationHandle> handles);

  /** Closes the engine; on real hosts, migrations still in pre-copy are aborted. */
  @Override
  void close();
}
