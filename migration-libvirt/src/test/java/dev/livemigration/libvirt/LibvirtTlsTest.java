package dev.livemigration.libvirt;

import static dev.livemigration.libvirt.LibvirtConnectionTest.assertOnlyOn;
import static dev.livemigration.libvirt.LibvirtConnectionTest.create;
import static dev.livemigration.libvirt.LibvirtMigrationTest.A;
import static dev.livemigration.libvirt.LibvirtMigrationTest.B;
import static dev.livemigration.libvirt.LibvirtMigrationTest.assertSucceeded;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationState;
import dev.livemigration.libvirt.LibvirtDaemons.Hosts;
import dev.livemigration.libvirt.LibvirtMigrationTest.Run;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real migration over QEMU's migration TLS ({@code VIR_MIGRATE_TLS}, on by default), through the
 * engine against the two private daemons, with throwaway certificates ({@link
 * MigrationCertificates}) in each daemon's {@code migrate_tls_x509_cert_dir}. That TLS is really
 * used shows in the negative control: with the same configuration, a source that trusts another CA
 * fails in QEMU's TLS handshake. The certificates are removed after the test, so that the other
 * classes' daemons have none.
 */
@ExtendWith(LibvirtDaemons.class)
@DisplayName("A migration over TLS, through the engine")
class LibvirtTlsTest {
  @TempDir Path certificates;
  private Run run;

  @BeforeAll
  static void needsOpenssl() {
    if (LibvirtDaemons.which("openssl").isEmpty()) {
      LibvirtDaemons.skipOrFail(
          "libvirt TLS test skipped: 'openssl' is not installed (Debian package openssl)");
    }
  }

  @AfterEach
  void cleanUp(Hosts hosts) throws IOException {
    if (run != null) {
      run.close();
    }
    // the other tests' daemons have no certificates
    MigrationCertificates.remove(hosts.migrationTlsDir(A));
    MigrationCertificates.remove(hosts.migrationTlsDir(B));
    hosts.destroyAllDomains();
  }

  @Test
  @DisplayName(
      "with the default configuration an idle domain migrates over TLS; a source that trusts"
          + " another CA fails the TLS handshake")
  void migratesOverTls(Hosts hosts) throws Exception {
    Path trusted = MigrationCertificates.create(certificates, "trusted");
    Path other = MigrationCertificates.create(certificates, "other");
    MigrationCertificates.install(other, hosts.migrationTlsDir(A));
    MigrationCertificates.install(trusted, hosts.migrationTlsDir(B));
    String name = "tls-idle";
    create(hosts, A, TestDomains.idle(name));
    run = Run.of(hosts.uris(), MigrationConfiguration.defaults());

    // Negative control: the source's QEMU checks the target's certificate in the TLS handshake.
    MigrationState refused = run.migrate("default", "untrusted", name, null);
    assertThat(refused.failed()).isTrue();
    assertThat(refused.failureReason())
        .hasValueSatisfying(
            reason ->
                assertThat(reason)
                    .contains("migrating domain 'tls-idle' from node-a to node-b failed: ")
                    .contains("The certificate hasn't got a known issuer")); // QEMU's TLS check
    assertOnlyOn(hosts, name, A, B);

    MigrationCertificates.install(trusted, hosts.migrationTlsDir(A));
    MigrationState state = run.migrate("default", "trusted", name, null);
    assertSucceeded(state, B);
    assertOnlyOn(hosts, name, B, A);
  }
}
