package dev.livemigration.testkit.junit;

import dev.livemigration.core.ManualScheduler;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives each test method a fresh cluster with {@link #nodes()} nodes, closed after the test: a
 * {@link dev.livemigration.testkit.SimulatedCluster} in virtual time, or with {@link #realBytes()}
 * a {@link dev.livemigration.testkit.RealBytesCluster} whose threads, sockets and memory are all
 * released after the test. Test methods (and lifecycle methods) may declare parameters of type
 * {@code SimulatedCluster} or {@code ManualScheduler} (virtual time), {@code RealBytesCluster}
 * (real bytes), {@code AbstractSimulatedCluster} or {@code MigrationEngine} (either).
 *
 * <pre>{@code
 * @WithSimulatedCluster(nodes = 3)
 * class DrainTest {
 *   @Test
 *   void drains(SimulatedCluster cluster, MigrationEngine engine) { ... }
 * }
 *
 * @WithSimulatedCluster(nodes = 2, taskFailures = TaskFailures.RETHROW)
 * class StrictTest { ... }
 *
 * @WithSimulatedCluster(realBytes = true)
 * class MoveTest {
 *   @Test
 *   void moves(RealBytesCluster cluster) { ... }
 * }
 * }</pre>
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(SimulatedClusterExtension.class)
public @interface WithSimulatedCluster {
  /** How many nodes the cluster has, named {@code node01}, {@code node02}, …; 2 by default. */
  int nodes() default 2;

  /**
   * Whether the cluster moves real bytes on the built-in data plane in real time ({@code
   * RealBytesCluster}) instead of modelling migrations in virtual time; false by default.
   */
  boolean realBytes() default false;

  /**
   * What the virtual-time cluster's {@link ManualScheduler} does when one of the engine's tasks
   * throws: {@link ManualScheduler.TaskFailures#LOG} (the default) logs it and goes on, {@link
   * ManualScheduler.TaskFailures#RETHROW} throws it from the call that advanced time, so the test
   * fails. Not for {@link #realBytes()} clusters, which run in real time.
   */
  ManualScheduler.TaskFailures taskFailures() default ManualScheduler.TaskFailures.LOG;
}
