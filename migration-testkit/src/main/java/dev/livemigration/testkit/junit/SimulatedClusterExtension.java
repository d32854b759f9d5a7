package dev.livemigration.testkit.junit;

import dev.livemigration.api.MigrationEngine;
import dev.livemigration.core.ManualScheduler;
import dev.livemigration.testkit.SimulatedCluster;
import java.util.Set;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/** The extension behind {@link WithSimulatedCluster}; one cluster per test method. */
public final class SimulatedClusterExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(SimulatedClusterExtension.class);
  private static final Set<Class<?>> TYPES =
      Set.of(SimulatedCluster.class, MigrationEngine.class, ManualScheduler.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return TYPES.contains(parameter.getParameter().getType());
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    SimulatedCluster cluster = cluster(context);
    Class<?> type = parameter.getParameter().getType();
    if (type == MigrationEngine.class) {
      return cluster.engine();
    }
    if (type == ManualScheduler.class) {
      return cluster.time();
    }
    return cluster;
  }

  private static SimulatedCluster cluster(ExtensionContext context) {
    int nodes =
        AnnotationSupport.findAnnotation(context.getElement(), WithSimulatedCluster.class)
            .or(
                () ->
                    context
                        .getTestClass()
                        .flatMap(
                            type ->
                                AnnotationSupport.findAnnotation(type, WithSimulatedCluster.class)))
            .map(WithSimulatedCluster::nodes)
            .orElse(2);
    return context
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(
            "cluster",
            key -> new ClosingCluster(SimulatedCluster.withNodes(nodes)),
            ClosingCluster.class)
        .cluster();
  }

  /** Closes the cluster when JUnit closes the test's store. */
  private record ClosingCluster(SimulatedCluster cluster)
      implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() {
      cluster.close();
    }
  }
}
