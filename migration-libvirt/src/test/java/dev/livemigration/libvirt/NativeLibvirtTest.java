package dev.livemigration.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Pointer;
import dev.livemigration.api.spi.BackendException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The JNA bindings against libvirt's in-process test driver ({@code test:///default}), which needs
 * only the libvirt0 library: a running domain {@code test} and no real hypervisor. The integration
 * tests exercise the same calls against QEMU.
 */
@DisplayName("The JNA bindings of the calls libvirt-java lacks")
class NativeLibvirtTest {
  static final String TEST_DOMAIN_UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f";

  HostConnection connection;

  @BeforeEach
  void connect() {
    try {
      NativeLibvirt.library();
    } catch (BackendException e) {
      LibvirtDaemons.skipOrFail("libvirt0 is not installed: " + e.getMessage());
    }
    connection = new HostConnection("test", "test:///default");
  }

  @AfterEach
  void close() {
    if (connection != null) {
      connection.close();
    }
  }

  @Test
  @DisplayName("virDomainGetState reads a running domain's state and reason")
  void state() {
    NativeLibvirt.State state = NativeLibvirt.state(connection.nativePointer(), TEST_DOMAIN_UUID);
    assertThat(state.state()).isEqualTo(NativeLibvirt.STATE_RUNNING);
    assertThat(state.isPostCopySource()).isFalse();
    assertThat(new NativeLibvirt.State(3, 12).isPostCopySource()).isTrue();
    assertThat(new NativeLibvirt.State(3, 2).isPostCopySource()).isFalse();
  }

  @Test
  @DisplayName("an unknown domain fails with libvirt's message and VIR_ERR_NO_DOMAIN")
  void unknownDomain() {
    Pointer pointer = connection.nativePointer();
    assertThatThrownBy(
            () -> NativeLibvirt.startPostCopy(pointer, "00000000-0000-0000-0000-000000000042"))
        .isInstanceOfSatisfying(
            LibvirtBackendException.class,
            e -> {
              assertThat(e.errorCode()).isEqualTo(LibvirtBackendException.NO_DOMAIN);
              assertThat(e.errorName()).isEqualTo("VIR_ERR_NO_DOMAIN");
              assertThat(e.libvirtMessage()).containsIgnoringCase("domain");
              assertThat(e.getMessage())
                  .startsWith("switching the migration of domain")
                  .contains("(libvirt error 42 VIR_ERR_NO_DOMAIN)");
            });
  }

  @Test
  @DisplayName("calls the test driver does not implement fail with libvirt's code, not a crash")
  void unsupported() {
    Pointer pointer = connection.nativePointer();
    for (Runnable call :
        new Runnable[] {
          () -> NativeLibvirt.startPostCopy(pointer, TEST_DOMAIN_UUID),
          () -> NativeLibvirt.setMaxSpeed(pointer, TEST_DOMAIN_UUID, 8, false),
          () -> NativeLibvirt.maxSpeed(pointer, TEST_DOMAIN_UUID, false),
          () -> NativeLibvirt.maxDowntimeMillis(pointer, TEST_DOMAIN_UUID)
        }) {
      assertThatThrownBy(call::run)
          .isInstanceOfSatisfying(
              LibvirtBackendException.class,
              e -> {
                assertThat(e.errorCode()).isPositive();
                assertThat(e.libvirtMessage()).isNotBlank();
              });
    }
  }

  @Test
  @DisplayName("the last error is cleared after it was read")
  void cleared() {
    Pointer pointer = connection.nativePointer();
    assertThatThrownBy(() -> NativeLibvirt.maxDowntimeMillis(pointer, TEST_DOMAIN_UUID))
        .isInstanceOf(LibvirtBackendException.class);
    assertThat(NativeLibvirt.library().virGetLastErrorCode()).isZero();
  }
}
