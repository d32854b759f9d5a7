package dev.livemigration.testkit;

import static dev.livemigration.testkit.junit.MigrationAssertions.assertThatEvents;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.testkit.model.GuestProfile;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

class SimulatedClusterProperties {

  @Property(tries = 40)
  void everyMigrationEndsOnceWithinTheLimits(
      @ForAll("configurations") MigrationConfiguration configuration,
      @ForAll @Size(max = 3) List<@From("policies") MigrationPolicy> policies,
      @ForAll @Size(min = 1, max = 12) List<@From("vmis") VirtualMachineInstance> vmis,
      @ForAll("profiles") GuestProfile profile) {
    try (SimulatedCluster cluster = SimulatedCluster.withNodes(5)) {
      cluster.configure(configuration);
      policies.stream()
          .filter(p -> policies.stream().filter(q -> q.name().equals(p.name())).count() == 1)
          .forEach(cluster::addPolicy);
      vmis.forEach(vmi -> cluster.addVmi(vmi, profile));
      MigrationEngine engine = cluster.engine();
      List<MigrationHandle> handles = new ArrayList<>();
      int i = 0;
      for (VirtualMachineInstance vmi : vmis) {
        try {
          handles.add(engine.migrate(VirtualMachineInstanceMigration.of("job-" + i++, vmi.name())));
        } catch (MigrationRejectedException rejected) {
          assertTrue(rejected.getMessage().contains(vmi.name()), rejected.getMessage());
        }
      }
      cluster.runUntilIdle();

      handles.forEach(handle -> assertTrue(handle.state().phase().isTerminal(), handle.uid()));
      assertThatEvents(cluster.events())
          .eachMigrationEndsOnce()
          .neverExceeds(
              configuration.parallelMigrationsPerCluster(),
              configuration.parallelOutboundMigrationsPerNode());
    }
  }

  @Provide
  Arbitrary<MigrationConfiguration> configurations() {
    return MigrationArbitraries.configurations();
  }

  @Provide
  Arbitrary<MigrationPolicy> policies() {
    return MigrationArbitraries.policies();
  }

  @Provide
  Arbitrary<VirtualMachineInstance> vmis() {
    return MigrationArbitraries.vmis();
  }

  @Provide
  Arbitrary<GuestProfile> profiles() {
    return MigrationArbitraries.dirtyProfiles();
  }
}
