package dev.livemigration.testkit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives each test method a fresh {@link dev.livemigration.testkit.SimulatedCluster} with {@link
 * #nodes()} nodes, closed after the test. Test methods (and lifecycle methods) may declare
 * parameters of type {@code SimulatedCluster}, {@code MigrationEngine} or {@code ManualScheduler}.
 *
 * <pre>{@code
 * @WithSimulatedCluster(nodes = 3)
 * class DrainTest {
 *   @Test
 *   void drains(SimulatedCluster cluster, MigrationEngine engine) { ... }
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
}
