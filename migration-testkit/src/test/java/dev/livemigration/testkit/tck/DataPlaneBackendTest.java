package dev.livemigration.testkit.tck;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.core.dataplane.DataPlaneBackend;
import dev.livemigration.core.dataplane.PagedMemory;
import dev.livemigration.testkit.DirtyPattern;
import dev.livemigration.testkit.SimulatedGuest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;

/**
 * The built-in data plane keeps the backend contract, moving the real memory of simulated guests
 * between two target agents on loopback addresses, in real time. Core's own tests cannot run the
 * kit: the testkit depends on core.
 */
@DisplayName("The data-plane backend keeps the backend contract")
class DataPlaneBackendTest extends HypervisorBackendCompatibilityKit {
  private static final long MEMORY = 16L << 20;

  private final List<SimulatedGuest> guests = new ArrayList<>();
  private final Map<String, PagedMemory> sources = new HashMap<>();
  private DataPlaneBackend dataPlane;

  private DataPlaneBackend dataPlane() {
    if (dataPlane == null) {
      dataPlane = DataPlaneBackend.builder().port(0).build();
    }
    return dataPlane;
  }

  @AfterEach
  void stopGuests() {
    guests.forEach(SimulatedGuest::close);
  }

  @Override
  protected HypervisorBackend backend() {
    return dataPlane();
  }

  @Override
  protected MigrationSpec migration(Guest guest, MigrationConfiguration configuration) {
    // A busy guest dirties 8 MiB/s, eight times what the kit's slow link carries.
    SimulatedGuest simulated =
        SimulatedGuest.builder()
            .memory(MEMORY)
            .dirtyRate(guest == Guest.BUSY ? 8L << 20 : 0)
            .pattern(DirtyPattern.UNIFORM)
            .seed(guests.size() + 1)
            .build();
    simulated.start();
    guests.add(simulated);
    String name = "vmi-" + guest.name().toLowerCase() + "-" + guests.size();
    dataPlane().register("default", name, simulated.memory());
    MigrationSpec spec =
        loopbackMigration(
            VirtualMachineInstance.builder()
                .name(name)
                .nodeName("node01")
                .memory(Quantity.ofBytes(MEMORY))
                .build(),
            configuration);
    sources.put(spec.migrationUid(), simulated.memory());
    return spec;
  }

  @Override
  protected void await(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting", e);
    }
  }

  @Override
  protected Duration patience() {
    return Duration.ofMinutes(2);
  }

  @Override
  protected boolean runsOnSource(MigrationSpec spec) {
    PagedMemory source = sources.get(spec.migrationUid());
    String name = spec.vmi().name();
    return dataPlane().memory("default", name).filter(memory -> memory == source).isPresent()
        && !source.isPaused();
  }
}
