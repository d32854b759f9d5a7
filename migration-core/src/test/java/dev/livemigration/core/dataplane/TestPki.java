package dev.livemigration.core.dataplane;

import dev.livemigration.core.dataplane.transport.EphemeralPki;
import dev.livemigration.core.dataplane.transport.TlsTransport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;

/**
 * The test PKI: an {@link EphemeralPki} everybody trusts, and a second one whose node key is the
 * rogue: signed by an authority nobody trusts. Made once per JVM.
 */
final class TestPki {
  private static TestPki instance;

  private final EphemeralPki pki;
  private final EphemeralPki foreign;
  final Path caPem;

  private TestPki() throws IOException {
    this.pki = EphemeralPki.create();
    this.foreign = EphemeralPki.create();
    this.caPem = pki.caPem();
  }

  static synchronized TestPki get() throws IOException {
    if (instance == null) {
      TestPki made = new TestPki();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    made.pki.close();
                    made.foreign.close();
                  }));
      instance = made;
    }
    return instance;
  }

  /** A transport with the CA-signed node key that trusts the CA. */
  TlsTransport trusted() {
    return pki.transport();
  }

  /** A transport with a key signed by another authority, that trusts the CA. */
  TlsTransport rogue() {
    return TlsTransport.builder()
        .keyStore(foreign.keyStore(), foreign.password())
        .trustStore(pki.trustStore())
        .build();
  }

  /** Writes the node's chain and PKCS#8 key as PEM files; returns {chain, key}. */
  Path[] nodePem() throws Exception {
    KeyStore store = pki.keyStore();
    Key key = store.getKey("node", pki.password());
    Path dir = Files.createTempDirectory("lm-pem");
    dir.toFile().deleteOnExit();
    Path keyFile = dir.resolve("node.key");
    Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()));
    StringBuilder chain = new StringBuilder();
    for (Certificate cert : store.getCertificateChain("node")) {
      chain.append(pem("CERTIFICATE", cert.getEncoded()));
    }
    Path chainFile = dir.resolve("node-chain.pem");
    Files.writeString(chainFile, chain);
    keyFile.toFile().deleteOnExit();
    chainFile.toFile().deleteOnExit();
    return new Path[] {chainFile, keyFile};
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
