package dev.livemigration.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("VirtualMachineInstanceMigration")
class VirtualMachineInstanceMigrationTest {

  @Test
  @DisplayName("names the VMI to migrate, in the default namespace unless told otherwise")
  void namesTheVmi() {
    VirtualMachineInstanceMigration request =
        VirtualMachineInstanceMigration.of("migration-job", "vmi-fedora");

    assertThat(request.name()).isEqualTo("migration-job");
    assertThat(request.vmiName()).isEqualTo("vmi-fedora");
    assertThat(request.namespace()).isEqualTo("default");
  }

  @Test
  @DisplayName("rejects names that Kubernetes would reject, naming the field")
  void rejectsBadNames() {
    assertThatThrownBy(() -> VirtualMachineInstanceMigration.of("Migration", "vmi"))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageStartingWith("metadata.name must be a DNS-1123 subdomain");
    assertThatThrownBy(() -> VirtualMachineInstanceMigration.of("job", ""))
        .hasMessage("spec.vmiName must not be empty, but was ''");
    assertThatThrownBy(
            () ->
                VirtualMachineInstanceMigration.builder()
                    .name("job")
                    .vmiName("vmi")
                    .namespace("a.b")
                    .build())
        .hasMessageStartingWith("metadata.namespace must be a DNS-1123 label");
  }

  @Test
  @DisplayName("says which required field is missing")
  void missingField() {
    assertThatThrownBy(() -> VirtualMachineInstanceMigration.builder().name("job").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("vmiName");
  }
}
