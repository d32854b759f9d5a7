package dev.livemigration.libvirt;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.opentest4j.TestAbortedException;

@DisplayName("When libvirt cannot run, the integration tests")
class LibvirtDaemonsSkipTest {

  @Test
  @DisplayName("are skipped with the reason outside CI")
  void skippedOutsideCi() {
    assertThatThrownBy(() -> LibvirtDaemons.skipOrFail("'libvirtd' is not installed", false))
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("'libvirtd' is not installed");
  }

  @Test
  @DisplayName("fail in CI, saying they must not be skipped")
  void failInCi() {
    assertThatThrownBy(() -> LibvirtDaemons.skipOrFail("'libvirtd' is not installed", true))
        .isInstanceOf(ExtensionConfigurationException.class)
        .hasMessage(
            "'libvirtd' is not installed (CI=true, so the libvirt integration tests must not be"
                + " skipped)");
  }
}
