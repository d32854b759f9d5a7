package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.core.dataplane.transport.TlsTransport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("TLS 1.3 with mutual authentication")
@SuppressWarnings("try") // resources that only need closing, like a busy guest
class TlsTest {
  private static TestPki pki;
  private final TransferOptions options =
      TransferOptions.defaults().withIoTimeout(Duration.ofSeconds(10));

  @BeforeAll
  static void makePki() throws Exception {
    pki = TestPki.get();
  }

  @Test
  @DisplayName("migrates byte for byte between peers that trust each other's CA")
  void trusted() throws Exception {
    TlsTransport tls = pki.trusted();
    try (PagedMemory source = Guests.random(512, 31);
        Guests.Writer writer = new Guests.Writer(source, 9, 64)) {
      Transfers.Outcome outcome = Transfers.migrate(source, tls, options.withChannels(2));
      Transfers.assertIdentical(outcome, source).close();
      source.resume();
    }
  }

  @Test
  @DisplayName("takes its key and trust from PEM files")
  void pem() throws Exception {
    Path[] files = pki.nodePem();
    TlsTransport tls = TlsTransport.builder().pem(files[0], files[1]).trustPem(pki.caPem).build();
    try (PagedMemory source = Guests.random(256, 32)) {
      Transfers.Outcome outcome = Transfers.migrate(source, tls, options);
      Transfers.assertIdentical(outcome, source).close();
    }
  }

  @Test
  @DisplayName("a target refuses a source whose certificate it does not trust, and says so")
  void untrustedSource() throws Exception {
    try (TargetAgent agent =
            TargetAgent.start(pki.trusted(), Transfers.LOOPBACK, options.ioTimeout());
        PagedMemory source = Guests.random(64, 33)) {
      IncomingMigration incoming =
          agent.expect("uid", 4096, 64, () -> PagedMemory.allocate(4096, 64));
      assertThatThrownBy(
              () ->
                  OutgoingMigration.start(
                      source, pki.rogue(), agent.address(), "uid", incoming.token(), options))
          .isInstanceOf(TransferFailedException.class)
          .hasMessageContaining("untrusted");
      assertThat(source.isPaused()).isFalse();
      incoming.cancel();
    }
  }

  @Test
  @DisplayName("a source refuses a target whose certificate it does not trust, and says so")
  void untrustedTarget() throws Exception {
    try (TargetAgent agent =
            TargetAgent.start(pki.rogue(), Transfers.LOOPBACK, options.ioTimeout());
        PagedMemory source = Guests.random(64, 34)) {
      IncomingMigration incoming =
          agent.expect("uid", 4096, 64, () -> PagedMemory.allocate(4096, 64));
      assertThatThrownBy(
              () ->
                  OutgoingMigration.start(
                      source, pki.trusted(), agent.address(), "uid", incoming.token(), options))
          .isInstanceOf(TransferFailedException.class)
          .hasMessageContaining("not trusted");
      incoming.cancel();
    }
  }

  @Test
  @DisplayName(
      "the engine migrates over TLS unless disableTLS, and fails with the reason when untrusted")
  void engine() throws Exception {
    PagedMemory good = Guests.random(256, 35);
    try (Cluster cluster =
        new Cluster(
                DataPlaneBackend.builder()
                    .port(0)
                    .ioTimeout(Duration.ofSeconds(10))
                    .tls(pki.trusted())
                    .build(),
                "node-a",
                "node-b")
            .vmi("guest", "node-a", good)) {
      MigrationEngine engine =
          cluster.engine(
              MigrationConfiguration.builder().bandwidthPerMigration(Quantity.ZERO).build());
      MigrationState state =
          engine
              .migrate(VirtualMachineInstanceMigration.of("job", "guest"))
              .completion()
              .get(60, TimeUnit.SECONDS);
      assertThat(state.phase()).as("%s", state.failureReason()).isEqualTo(MigrationPhase.SUCCEEDED);
      assertThat(cluster.memoryOf("guest").mismatch(good)).isEqualTo(-1);
      assertThat(cluster.backend.agentAddress("node-b", "tls")).isPresent();
      assertThat(cluster.backend.agentAddress("node-b", "tcp")).isEmpty();
    }
  }

  @Test
  @DisplayName(
      "through the engine, an untrusted peer fails the migration with a reason that says so")
  void engineUntrusted() throws Exception {
    PagedMemory source = Guests.random(64, 36);
    try (Cluster cluster =
        new Cluster(
                DataPlaneBackend.builder()
                    .port(0)
                    .ioTimeout(Duration.ofSeconds(10))
                    .tls(pki.rogue())
                    .build(),
                "node-a",
                "node-b")
            .vmi("guest", "node-a", source)) {
      MigrationEngine engine =
          cluster.engine(
              MigrationConfiguration.builder().bandwidthPerMigration(Quantity.ZERO).build());
      MigrationState state =
          engine
              .migrate(VirtualMachineInstanceMigration.of("job", "guest"))
              .completion()
              .get(60, TimeUnit.SECONDS);
      assertThat(state.phase()).isEqualTo(MigrationPhase.FAILED);
      assertThat(state.failureReason()).hasValueSatisfying(r -> assertThat(r).contains("trusted"));
      assertThat(cluster.memoryOf("guest")).isSameAs(source);
      assertThat(source.isPaused()).isFalse();
    }
  }
}
