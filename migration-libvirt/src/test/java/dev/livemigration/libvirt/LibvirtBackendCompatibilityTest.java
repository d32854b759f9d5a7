package dev.livemigration.libvirt;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.core.Admission;
import dev.livemigration.libvirt.LibvirtDaemons.Hosts;
import dev.livemigration.testkit.tck.HypervisorBackendCompatibilityKit;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.LibvirtException;

/**
 * The testkit's backend compatibility kit against the two private libvirt daemons, reached over TCP
 * ({@code qemu+tcp://127.0.0.1:<port>/system}): an idle guest is an empty TCG domain, a busy one
 * the guest kernel that rewrites 64 MiB forever; time passes for real.
 */
@ExtendWith(LibvirtDaemons.class)
@DisplayName("The libvirt backend keeps the backend contract, against two real daemons")
class LibvirtBackendCompatibilityTest extends HypervisorBackendCompatibilityKit {
  private Hosts hosts;
  private LibvirtBackend lookups;
  private LibvirtInventory inventory;

  @BeforeEach
  void connect(Hosts hosts) {
    this.hosts = hosts;
    lookups = LibvirtBackend.of(hosts.tcpUris());
    inventory = LibvirtInventory.of(lookups);
  }

  @AfterEach
  void cleanUp() {
    lookups.close();
    hosts.destroyAllDomains();
  }

  @Override
  protected HypervisorBackend backend() {
    return LibvirtBackend.of(hosts.tcpUris());
  }

  @Override
  protected MigrationSpec migration(Guest guest, MigrationConfiguration configuration) {
    String name = guest.name().toLowerCase(Locale.ROOT) + "-" + UUID.randomUUID().toString();
    String xml =
        guest == Guest.IDLE
            ? TestDomains.idle(name)
            : TestDomains.kernel(name, GuestKernels.dirtying());
    onNode(
        Hosts.NODE_A,
        connection -> {
          connection.domainCreateXML(xml, 0).free();
          return true;
        });
    VirtualMachineInstance vmi = inventory.find("default", name).orElseThrow();
    return new MigrationSpec(
        UUID.randomUUID().toString(),
        VirtualMachineInstanceMigration.of("kit-" + name, name),
        vmi,
        Admission.method(vmi),
        inventory.nodes().get(0),
        inventory.nodes().get(1),
        configuration);
  }

  @Override
  protected void await(Duration duration) {
    LibvirtDaemons.sleep(duration);
  }

  @Override
  protected Duration sampleInterval() {
    return Duration.ofMillis(250);
  }

  @Override
  protected Duration patience() {
    return LibvirtMigrationTest.WAIT;
  }

  /**
   * Whether the domain runs on the source and not on the target. libvirt finishes a migration
   * (resumes or removes each side) before the migration call returns, so one look is enough.
   */
  @Override
  protected boolean runsOnSource(MigrationSpec spec) {
    String name = spec.vmi().name();
    return runs(spec.source().name(), name) && !runs(spec.target().name(), name);
  }

  private boolean runs(String node, String name) {
    return onNode(
        node,
        connection -> {
          for (int id : connection.listDomains()) {
            Domain domain = connection.domainLookupByID(id);
            try {
              if (domain.getName().equals(name)) {
                return domain.getInfo().state == DomainState.VIR_DOMAIN_RUNNING;
              }
            } finally {
              domain.free();
            }
          }
          return false;
        });
  }

  private <T> T onNode(String node, HostConnection.Call<T> call) {
    try {
      Connect connection = new Connect(hosts.uri(node));
      try {
        return call.run(connection);
      } finally {
        connection.close();
      }
    } catch (LibvirtException e) {
      throw new IllegalStateException("libvirt on " + node + ": " + e.getMessage(), e);
    }
  }
}
