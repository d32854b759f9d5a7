package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.livemigration.api.ProgressSample;
import dev.livemigration.core.dataplane.transport.TlsTransport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The tls transport's AES-GCM on the Amazon Corretto Crypto Provider (on this module's test class
 * path) against the JDK's, across two JVMs: the records one seals, the other opens.
 */
@DisplayName("TLS records sealed by ACCP's AES-GCM and by the JDK's interoperate")
class AesGcmInteropTest {
  private static final int PAGES = 4096;
  private static final long SEED = 77;

  @BeforeAll
  static void onlyWithAccpOn() {
    assumeFalse(
        "false".equals(System.getProperty("dev.livemigration.tls.accp")),
        "run with ACCP turned off (the jdk-aes-gcm execution)");
  }

  @Test
  @DisplayName("with ACCP present, only AES-GCM moves to it; other algorithms stay the JDK's")
  void narrow() throws Exception {
    assertThat(TlsTransport.aesGcmImplementation()).startsWith("ACCP ");
    assertThat(Cipher.getInstance("AES/GCM/NoPadding").getProvider().getName())
        .isEqualTo("LiveMigrationAesGcm");
    assertThat(Cipher.getInstance("AES/CBC/NoPadding").getProvider().getName()).isEqualTo("SunJCE");
    assertThat(java.security.MessageDigest.getInstance("SHA-256").getProvider().getName())
        .isEqualTo("SUN");
  }

  @Test
  @DisplayName("a source on ACCP migrates to a target JVM on the JDK's cipher, byte for byte")
  void acrossJvms() throws Exception {
    assertThat(TlsTransport.aesGcmImplementation()).startsWith("ACCP ");
    TestPki pki = TestPki.get();
    Path[] node = pki.nodePem();
    String uid = UUID.randomUUID().toString();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Ddev.livemigration.tls.accp=false");
    command.add("-XX:MaxDirectMemorySize=256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(AesGcmInteropTarget.class.getName());
    command.add(node[0].toString());
    command.add(node[1].toString());
    command.add(pki.caPem.toString());
    command.add(Integer.toString(PAGES));
    command.add(Long.toString(SEED));
    command.add(uid);
    Process child =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (BufferedReader out =
            new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        PagedMemory source = Guests.random(PAGES, SEED)) {
      assertThat(out.readLine()).startsWith("AES-GCM the JDK's cipher");
      String[] ready = out.readLine().split(" ");
      assertThat(ready[0]).isEqualTo("READY");
      InetSocketAddress target = new InetSocketAddress("127.0.0.1", Integer.parseInt(ready[1]));
      TransferOptions options = TransferOptions.defaults().withIoTimeout(Duration.ofSeconds(30));
      try (OutgoingMigration migration =
          OutgoingMigration.start(source, pki.trusted(), target, uid, ready[2], options)) {
        ProgressSample last = migration.completion().get(2, TimeUnit.MINUTES);
        assertThat(last.status())
            .as("failure: %s", last.failureReason())
            .isEqualTo(ProgressSample.Status.COMPLETED);
      }
      assertThat(out.readLine()).isEqualTo("IDENTICAL");
      child.getOutputStream().close();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).isZero();
    } finally {
      child.destroyForcibly();
    }
  }
}
