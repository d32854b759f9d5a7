package dev.livemigration.testkit;

import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.core.ManualScheduler;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.testkit.model.ModelBackend;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A simulated cluster in virtual time: nodes on loopback addresses, namespaces with labels, VMIs
 * whose guests dirty memory at a set rate, policies, and an engine wired to all of it on the {@link
 * ModelBackend}. An hour of migration runs in milliseconds, and every run is the same.
 *
 * <pre>{@code
 * SimulatedCluster cluster = SimulatedCluster.withNodes(3);
 * cluster.addVmi("vmi-fedora", vmi -> vmi.on("node02").memory("1Gi").dirtyRate("50Mi"));
 * MigrationHandle handle = cluster.engine().migrate(VirtualMachineInstanceMigration.of("job", "vmi-fedora"));
 * cluster.runUntilIdle();
 * }</pre>
 *
 * <p>Node {@code nodeNN} has address {@code 127.0.0.NN} and, on the migration network, {@code
 * 127.0.1.NN}. {@link RealBytesCluster} is the same cluster with real bytes on the data plane.
 */
public final class SimulatedCluster extends AbstractSimulatedCluster<SimulatedCluster> {
  private final ManualScheduler time;

  private SimulatedCluster(int nodes, ManualScheduler time) {
    super(nodes);
    this.time = time;
  }

  /**
   * Returns a cluster with {@code count} nodes named {@code node01}, {@code node02}, ….
   *
   * @throws dev.livemigration.api.InvalidValueException if {@code count} is not between 1 and 250
   */
  public static SimulatedCluster withNodes(int count) {
    return new SimulatedCluster(count, new ManualScheduler());
  }

  /**
   * Returns a cluster with {@code count} nodes whose virtual clock starts at {@code clockStart}
   * instead of the guide's 2019-03-29T04:02:47Z: {@code Instant.now()} makes its timestamps read as
   * today, for output a person reads; tests keep the fixed default to stay the same every run.
   *
   * @throws dev.livemigration.api.InvalidValueException if {@code count} is not between 1 and 250
   */
  public static SimulatedCluster withNodes(int count, Instant clockStart) {
    return new SimulatedCluster(
        count, new ManualScheduler(Objects.requireNonNull(clockStart, "clockStart")));
  }

  @Override
  SimulatedCluster self() {
    return this;
  }

  @Override
  void wire(MigrationEngines.Builder engine) {
    engine.backend(wrapped(new ModelBackend(time, this::profileOf))).scheduler(time);
  }

  @Override
  void listenerFailed(MigrationEvent event, Throwable failure) {
    time.execute(
        () -> {
          if (failure instanceof Error error) {
            throw error;
          }
          if (failure instanceof RuntimeException unchecked) {
            throw unchecked;
          }
          throw new IllegalStateException("a listener failed on " + event, failure);
        });
  }

  /**
   * The cluster's virtual clock: advance it to let migrations progress, or step through the
   * engine's tasks one at a time with {@link ManualScheduler#runNext()}. Set {@link
   * ManualScheduler.TaskFailures#RETHROW} on it to have an exception thrown by a task fail the
   * test.
   */
  public ManualScheduler time() {
    return time;
  }

  /** Runs virtual time until nothing is left to do, or 30 virtual days have passed. */
  public Duration runUntilIdle() {
    return time.advanceUntilIdle(Duration.ofDays(30));
  }
}
