package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.core.dataplane.transport.Transports;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Pre-copy over real transports")
@SuppressWarnings("try") // resources that only need closing, like a busy guest
class PreCopyTest {

  @ParameterizedTest(name = "over {0}")
  @ValueSource(strings = {"mem", "tcp"})
  @DisplayName("moves an idle memory byte for byte, zero pages as flags, and reports the downtime")
  void idleMemory(String transportId) throws Exception {
    MigrationTransport transport = Transports.byId(transportId);
    try (PagedMemory source = Guests.random(1024, 11)) {
      Transfers.Outcome outcome = Transfers.migrate(source, transport, TransferOptions.defaults());

      try (PagedMemory target = Transfers.assertIdentical(outcome, source)) {
        ProgressSample last = outcome.last();
        assertThat(last.mode()).isEqualTo(MigrationMode.PRE_COPY);
        assertThat(last.downtime()).isPresent();
        assertThat(last.dataRemaining()).isZero();
        assertThat(last.dataTotal()).isEqualTo(source.size());
        assertThat(last.iteration()).isGreaterThanOrEqualTo(2);
        assertThat(last.dataProcessed()).as("zero pages travel as flags").isLessThan(source.size());
        assertThat(source.isPaused()).as("the source stays paused after the switch").isTrue();
        assertThat(target.isPaused()).isFalse();
      }
    }
  }

  @ParameterizedTest(name = "over {0}")
  @ValueSource(strings = {"mem", "tcp"})
  @DisplayName("moves a memory that is written during the migration, byte for byte")
  void busyMemory(String transportId) throws Exception {
    MigrationTransport transport = Transports.byId(transportId);
    try (PagedMemory source = Guests.random(2048, 12);
        Guests.Writer writer = new Guests.Writer(source, 5, 64)) {
      Transfers.Outcome outcome =
          Transfers.migrate(
              source, transport, TransferOptions.defaults().withMaxDowntime(Duration.ofMillis(5)));

      try (PagedMemory target = Transfers.assertIdentical(outcome, source)) {
        assertThat(writer.writes()).isPositive();
        assertThat(outcome.last().dataProcessed()).isPositive();
      }
      source.resume();
    }
  }

  @ParameterizedTest(name = "pages of {0} bytes")
  @ValueSource(ints = {512, 8192, 1 << 20})
  @DisplayName("moves memories of any page size")
  void pageSizes(int pageSize) throws Exception {
    int pages = Math.max(2, (2 << 20) / pageSize);
    try (PagedMemory source = Guests.random(pageSize, pages, pageSize)) {
      Transfers.Outcome outcome =
          Transfers.migrate(source, Transports.byId("tcp"), TransferOptions.defaults());
      Transfers.assertIdentical(outcome, source).close();
    }
  }
}
