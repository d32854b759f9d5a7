package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.AccessMode;
import dev.livemigration.api.ConditionStatus;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("EnumNames")
class EnumNamesTest {
  private static final List<Class<? extends Enum<?>>> ENUMS =
      List.of(
          AbortStatus.class,
          AccessMode.class,
          ConditionStatus.class,
          MigrationMethod.class,
          MigrationMode.class,
          MigrationPhase.class);

  @Test
  @DisplayName("writes KubeVirt's PascalCase wire names")
  void toWire() {
    assertThat(EnumNames.toWire(MigrationPhase.PREPARING_TARGET)).isEqualTo("PreparingTarget");
    assertThat(EnumNames.toWire(MigrationMode.POST_COPY)).isEqualTo("PostCopy");
    assertThat(EnumNames.toWire(MigrationMethod.BLOCK_MIGRATION)).isEqualTo("BlockMigration");
    assertThat(EnumNames.toWire(ConditionStatus.TRUE)).isEqualTo("True");
    assertThat(EnumNames.toWire(AbortStatus.ABORTING)).isEqualTo("Aborting");
    assertThat(EnumNames.toWire(AccessMode.READ_WRITE_ONCE_POD)).isEqualTo("ReadWriteOncePod");
  }

  @Test
  @DisplayName("reads every constant of every enum back from its wire name and its own name")
  void roundTrips() {
    for (Class<? extends Enum<?>> type : ENUMS) {
      for (Enum<?> constant : type.getEnumConstants()) {
        assertThat(fromWire(type, EnumNames.toWire(constant))).isEqualTo(constant);
        assertThat(fromWire(type, constant.name())).isEqualTo(constant);
      }
    }
  }

  @Test
  @DisplayName("converts between the two spellings")
  void constantNames() {
    assertThat(EnumNames.toConstantName("TargetReady")).isEqualTo("TARGET_READY");
    assertThat(EnumNames.toConstantName("targetReady")).isEqualTo("TARGET_READY");
    assertThat(EnumNames.toConstantName("TARGET_READY")).isEqualTo("TARGET_READY");
    assertThat(EnumNames.toConstantName("True")).isEqualTo("TRUE");
  }

  @Test
  @DisplayName("finds nothing for an unknown name and lists the wire names")
  void unknown() {
    assertThat(EnumNames.fromWire(MigrationMode.class, "Sideways")).isEmpty();
    assertThat(EnumNames.fromWire(MigrationMode.class, "")).isEmpty();
    assertThat(EnumNames.wireNames(AbortStatus.class)).isEqualTo("Aborting, Succeeded, Failed");
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object fromWire(Class<? extends Enum<?>> type, String wire) {
    return EnumNames.fromWire((Class) type, wire).orElseThrow();
  }
}
