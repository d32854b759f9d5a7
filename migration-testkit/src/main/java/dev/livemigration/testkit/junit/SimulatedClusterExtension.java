package dev.livemigration.testkit.junit;

import dev.livemigration.api.MigrationEngine;
import dev.livemigration.core.ManualScheduler;
import dev.livemigration.testkit.AbstractSimulatedCluster;
import dev.livemigration.testkit.RealBytesCluster;
import dev.livemigration.testkit.SimulatedCluster;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The extension behind {@link WithSimulatedCluster}; one cluster per test method, closed (with its
 * engine, and for real bytes its threads, sockets and memory) when the test ends.
 */
public final class SimulatedClusterExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(SimulatedClusterExtension.class);
  private static final Set<Class<?>> TYPES =
      Set.of(
          AbstractSimulatedCluster.class,
          SimulatedCluster.class,
          RealBytesCluster.class,
          MigrationEngine.class,
          ManualScheduler.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return TYPES.contains(parameter.getParameter().getType());
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    WithSimulatedCluster settings = settings(context);
    AbstractSimulatedCluster<?> cluster = cluster(context, settings);
    Class<?> type = parameter.getParameter().getType();
    if (type == MigrationEngine.class) {
      return cluster.engine();
    }
    if (type == ManualScheduler.class) {
      if (cluster instanceof SimulatedCluster simulated) {
        return simulated.time();
      }
      throw new ParameterResolutionException(
          "a real-bytes cluster (@WithSimulatedCluster(realBytes = true)) runs in real time and has"
              + " no ManualScheduler; declare a RealBytesCluster parameter instead");
    }
    if (!type.isInstance(cluster)) {
      throw new ParameterResolutionException(
          "@WithSimulatedCluster(realBytes = "
              + settings.realBytes()
              + ") gives a "
              + cluster.getClass().getSimpleName()
              + ", not a "
              + type.getSimpleName()
              + "; declare a parameter of that type, or set realBytes = "
              + !settings.realBytes());
    }
    return cluster;
  }

  private static WithSimulatedCluster settings(ExtensionContext context) {
    Optional<WithSimulatedCluster> found =
        AnnotationSupport.findAnnotation(context.getElement(), WithSimulatedCluster.class)
            .or(
                () ->
                    context
                        .getTestClass()
                        .flatMap(
                            type ->
                                AnnotationSupport.findAnnotation(
                                    type, WithSimulatedCluster.class)));
    return found.orElseGet(() -> Defaults.class.getAnnotation(WithSimulatedCluster.class));
  }

  private static AbstractSimulatedCluster<?> cluster(
      ExtensionContext context, WithSimulatedCluster settings) {
    return context
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(
            "cluster", key -> new ClosingCluster(newCluster(settings)), ClosingCluster.class)
        .cluster();
  }

  private static AbstractSimulatedCluster<?> newCluster(WithSimulatedCluster settings) {
    if (settings.realBytes()) {
      if (settings.taskFailures() != ManualScheduler.TaskFailures.LOG) {
        throw new ParameterResolutionException(
            "@WithSimulatedCluster(taskFailures = "
                + settings.taskFailures()
                + ") is for virtual time; a real-bytes cluster runs its tasks on the engine's own"
                + " threads");
      }
      return RealBytesCluster.withNodes(settings.nodes());
    }
    SimulatedCluster cluster = SimulatedCluster.withNodes(settings.nodes());
    cluster.time().taskFailures(settings.taskFailures());
    return cluster;
  }

  /** Carries the annotation's defaults for tests registered without it. */
  @WithSimulatedCluster
  private static final class Defaults {}

  /** Closes the cluster when JUnit closes the test's store. */
  private record ClosingCluster(AbstractSimulatedCluster<?> cluster)
      implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() {
      cluster.close();
    }
  }
}
