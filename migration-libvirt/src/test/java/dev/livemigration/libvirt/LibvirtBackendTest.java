package dev.livemigration.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.Condition;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.Node;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.spi.BackendException;
import dev.livemigration.api.spi.MigrationSpec;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The libvirt backend without a daemon")
class LibvirtBackendTest {

  static VirtualMachineInstance vmi(NetworkInterface... nics) {
    return VirtualMachineInstance.builder()
        .name("web")
        .nodeName("node-a")
        .memory(Quantity.ofMebibytes(128))
        .addInterfaces(nics)
        .build();
  }

  @Test
  @DisplayName("its builder refuses bad values, naming them")
  void builder() {
    assertThatThrownBy(() -> LibvirtBackend.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("at least one host");
    assertThatThrownBy(() -> LibvirtBackend.builder().host("a", "x").host("a", "y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a was added twice");
    assertThatThrownBy(() -> LibvirtBackend.builder().parallelConnections(-1))
        .hasMessage("parallelConnections must be between 0 and 255, but was -1");
    assertThatThrownBy(() -> LibvirtBackend.builder().jobStartTimeout(Duration.ZERO))
        .hasMessage("jobStartTimeout must be positive, but was PT0S");
    assertThatThrownBy(() -> LibvirtBackend.builder().postCopyRecovery(Duration.ofSeconds(-1), 3))
        .hasMessage("the post-copy recovery budget must not be negative, but was PT-1S");
    assertThatThrownBy(() -> LibvirtBackend.builder().postCopyRecovery(Duration.ofSeconds(5), 0))
        .hasMessage("post-copy recovery attempts must be at least 1, but were 0");
    assertThatThrownBy(
            () ->
                LibvirtBackend.builder()
                    .postCopyRecoveryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .hasMessageContaining("max at least initial");
    assertThat(LibvirtBackend.DEFAULT_POST_COPY_RECOVERY_BUDGET).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  @DisplayName("it knows its nodes and their URIs; the inventory derives node addresses")
  void nodes() {
    try (LibvirtBackend backend =
        LibvirtBackend.of(Map.of("node-a", "qemu+unix:///system?socket=/nowhere/sock"))) {
      assertThat(backend.id()).isEqualTo("libvirt");
      assertThat(backend.nodes()).containsExactly("node-a");
      assertThat(backend.uri("node-a")).contains("qemu+unix:///system?socket=/nowhere/sock");
      assertThat(LibvirtInventory.of(backend).nodes())
          .extracting(Node::address)
          .containsExactly("127.0.0.1");
    }
    assertThat(LibvirtInventory.hostOf("qemu+tls://node-b.example:16514/system"))
        .isEqualTo("node-b.example");
    assertThat(LibvirtInventory.hostOf("qemu:///system")).isEqualTo("127.0.0.1");
  }

  @Test
  @DisplayName("the target's daemon port comes from its URI, or its transport's default")
  void daemonPorts() {
    assertThat(HostConnection.daemonPort("qemu+tls://node-b.example/system")).contains(16514);
    assertThat(HostConnection.daemonPort("qemu://node-b.example/system")).contains(16514);
    assertThat(HostConnection.daemonPort("qemu+tcp://10.0.0.2/system")).contains(16509);
    assertThat(HostConnection.daemonPort("qemu+tcp://10.0.0.2:16600/system")).contains(16600);
    assertThat(HostConnection.daemonPort("qemu+ssh://root@node-b/system")).contains(22);
    assertThat(HostConnection.daemonPort("qemu+libssh2://node-b:2222/system")).contains(2222);
    assertThat(HostConnection.daemonPort("qemu:///system")).isEmpty();
    assertThat(HostConnection.daemonPort("qemu+unix:///system?socket=/run/a.sock")).isEmpty();
    assertThat(HostConnection.daemonPort("qemu+ext://node-b/system?command=x")).isEmpty();
    assertThat(HostConnection.daemonPort("not a uri")).isEmpty();
  }

  @Test
  @DisplayName("an SR-IOV interface makes a VMI not live-migratable")
  void sriov() {
    try (LibvirtBackend backend = LibvirtBackend.of(Map.of("node-a", "test:///default"))) {
      NetworkInterface vf =
          NetworkInterface.builder()
              .name("hostdev0")
              .binding(InterfaceBinding.SRIOV)
              .podNetwork(false)
              .build();
      assertThat(backend.checkMigratable(vmi(vf)))
          .hasValueSatisfying(
              condition -> {
                assertThat(condition.isTrue()).isFalse();
                assertThat(condition.reason()).contains(Condition.REASON_INTERFACE_NOT_MIGRATABLE);
              });
    }
  }

  @Test
  @DisplayName("an unreachable daemon fails open() with libvirt's message and code")
  void unreachable() {
    try (LibvirtBackend backend =
        LibvirtBackend.builder()
            .host("node-a", "qemu+unix:///system?socket=/nonexistent/libvirt-sock")
            .host("node-b", "qemu+unix:///system?socket=/nonexistent/other-sock")
            .build()) {
      VirtualMachineInstance vmi = vmi();
      MigrationSpec spec =
          new MigrationSpec(
              "uid",
              VirtualMachineInstanceMigration.of("job", "web"),
              vmi,
              MigrationMethod.LIVE_MIGRATION,
              Node.builder().name("node-a").address("127.0.0.1").build(),
              Node.builder().name("node-b").address("127.0.0.1").build(),
              MigrationConfiguration.defaults());
      try {
        NativeLibvirt.library();
      } catch (BackendException e) {
        LibvirtDaemons.skipOrFail("libvirt0 is not installed: " + e.getMessage());
      }
      assertThatThrownBy(() -> backend.open(spec))
          .isInstanceOfSatisfying(
              LibvirtBackendException.class,
              e -> {
                assertThat(e.getMessage())
                    .startsWith("connecting to node node-a at qemu+unix")
                    .contains("/nonexistent/libvirt-sock")
                    .containsPattern("\\(libvirt error \\d+ VIR_ERR_\\w+\\)");
                assertThat(e.errorCode()).isPositive();
              });
      assertThat(LibvirtInventory.of(backend).virtualMachineInstances()).isEmpty();
    }
  }

  @Test
  @DisplayName("unknown nodes and a closed backend are refused plainly")
  void unknownNode() {
    LibvirtBackend backend = LibvirtBackend.of(Map.of("node-a", "test:///default"));
    assertThatThrownBy(() -> backend.host("node-z"))
        .isInstanceOf(BackendException.class)
        .hasMessage("node node-z has no libvirt URI; the backend knows [node-a]");
    assertThatThrownBy(
            () ->
                LibvirtInventory.of(
                    backend,
                    java.util.List.of(Node.builder().name("x").address("1.2.3.4").build())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("but x is not");
    backend.close();
    backend.close();
    assertThatThrownBy(() -> backend.host("node-a"))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("closed");
  }

  @Test
  @DisplayName("the test driver's domain is read as a VMI with its memory")
  void inventoryFromTestDriver() {
    try {
      NativeLibvirt.library();
    } catch (BackendException e) {
      LibvirtDaemons.skipOrFail("libvirt0 is not installed: " + e.getMessage());
    }
    try (LibvirtBackend backend = LibvirtBackend.of(Map.of("node-a", "test:///default"))) {
      assertThat(LibvirtInventory.of(backend).find("default", "test"))
          .hasValueSatisfying(
              vmi -> {
                assertThat(vmi.nodeName()).isEqualTo("node-a");
                assertThat(vmi.memory().bytes()).isPositive();
              });
    }
  }
}
