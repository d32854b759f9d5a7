package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.livemigration.api.MigrationEngine;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The engine's entry points name the bad parameter")
class EngineInputTest {
  private final MigrationEngine engine = Harness.twoNodes().engine();

  @Test
  @DisplayName("when it is null")
  void nulls() {
    assertThatNullPointerException().isThrownBy(() -> engine.migrate(null)).withMessage("request");
    assertThatNullPointerException()
        .isThrownBy(() -> engine.cancel(null, "job"))
        .withMessage("namespace");
    assertThatNullPointerException()
        .isThrownBy(() -> engine.cancelForVmi("default", null))
        .withMessage("vmiName");
    assertThatNullPointerException().isThrownBy(() -> engine.drain(null)).withMessage("nodeName");
    assertThatNullPointerException()
        .isThrownBy(() -> engine.reconfigure(null))
        .withMessage("configuration");
  }

  @Test
  @DisplayName("when it is blank")
  void blanks() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> engine.status("default", " "))
        .withMessage("vmiName must not be blank, but was ' '");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> engine.find("", "job"))
        .withMessage("namespace must not be blank, but was ''");
  }
}
