package dev.livemigration.testkit.model;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.core.ManualScheduler;
import dev.livemigration.testkit.tck.HypervisorBackendCompatibilityKit;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;

@DisplayName("The model backend keeps the backend contract")
class ModelBackendTest extends HypervisorBackendCompatibilityKit {
  private final ManualScheduler time = new ManualScheduler();
  private final Map<String, MigrationSession> sessions = new HashMap<>();

  @Override
  protected HypervisorBackend backend() {
    ModelBackend model =
        new ModelBackend(
            time,
            vmi ->
                vmi.labels().containsKey("busy")
                    ? new GuestProfile(8L << 20, 32L << 20)
                    : GuestProfile.IDLE);
    return new HypervisorBackend() {
      @Override
      public String id() {
        return model.id();
      }

      @Override
      public MigrationSession open(MigrationSpec spec) {
        MigrationSession session = model.open(spec);
        sessions.put(spec.migrationUid(), session);
        return session;
      }
    };
  }

  @Override
  protected MigrationSpec migration(Guest guest, MigrationConfiguration configuration) {
    VirtualMachineInstance.Builder vmi =
        VirtualMachineInstance.builder()
            .name("vmi-" + guest.name().toLowerCase())
            .nodeName("node01")
            .memory(Quantity.ofMebibytes(64));
    if (guest == Guest.BUSY) {
      vmi.putLabels("busy", "true");
    }
    return loopbackMigration(vmi.build(), configuration);
  }

  @Override
  protected void await(Duration duration) {
    time.advance(duration);
  }

  @Override
  protected boolean runsOnSource(MigrationSpec spec) {
    MigrationSession session = sessions.get(spec.migrationUid());
    return session == null || session.sample().status() != ProgressSample.Status.COMPLETED;
  }
}
