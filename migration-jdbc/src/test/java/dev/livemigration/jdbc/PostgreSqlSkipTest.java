package dev.livemigration.jdbc;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.opentest4j.TestAbortedException;

@DisplayName("When PostgreSQL cannot run, the integration tests")
class PostgreSqlSkipTest {

  @Test
  @DisplayName("are skipped with the reason outside CI")
  void skippedOutsideCi() {
    assertThatThrownBy(() -> PostgreSql.skipOrFail("no initdb", false))
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("no initdb");
  }

  @Test
  @DisplayName("fail in CI, saying they must not be skipped")
  void failInCi() {
    assertThatThrownBy(() -> PostgreSql.skipOrFail("no initdb", true))
        .isInstanceOf(ExtensionConfigurationException.class)
        .hasMessage("no initdb (CI=true, so the PostgreSQL integration tests must not be skipped)");
  }
}
