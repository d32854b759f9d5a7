package dev.livemigration.core.dataplane;

import dev.livemigration.core.dataplane.transport.TlsTransport;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway public-key infrastructure made at test time with the JDK's keytool: a CA, a node
 * certificate it signed (for 127.0.0.1, usable as server and client), and a rogue self-signed
 * certificate nobody trusts. Made once per JVM.
 */
final class TestPki {
  private static final String PASSWORD = "changeit";
  private static TestPki instance;

  final Path dir;
  final Path caPem;
  final Path nodeStore;
  final Path rogueStore;

  private TestPki(Path dir) throws IOException, InterruptedException {
    this.dir = dir;
    Path caStore = dir.resolve("ca.p12");
    caPem = dir.resolve("ca.pem");
    nodeStore = dir.resolve("node.p12");
    rogueStore = dir.resolve("rogue.p12");
    Path csr = dir.resolve("node.csr");
    Path nodePem = dir.resolve("node.pem");
    keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=test-ca",
        "-ext",
        "bc:c",
        "-validity",
        "2",
        "-keystore",
        caStore.toString());
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        caStore.toString(),
        "-file",
        caPem.toString());
    keytool(
        "-genkeypair",
        "-alias",
        "node",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=node",
        "-validity",
        "2",
        "-keystore",
        nodeStore.toString());
    keytool(
        "-certreq", "-alias", "node", "-keystore", nodeStore.toString(), "-file", csr.toString());
    keytool(
        "-gencert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        caStore.toString(),
        "-infile",
        csr.toString(),
        "-outfile",
        nodePem.toString(),
        "-validity",
        "2",
        "-ext",
        "san=ip:127.0.0.1",
        "-ext",
        "eku=serverAuth,clientAuth");
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "ca",
        "-file",
        caPem.toString(),
        "-keystore",
        nodeStore.toString());
    keytool(
        "-importcert",
        "-alias",
        "node",
        "-file",
        nodePem.toString(),
        "-keystore",
        nodeStore.toString());
    keytool(
        "-genkeypair",
        "-alias",
        "node",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=rogue",
        "-validity",
        "2",
        "-keystore",
        rogueStore.toString());
  }

  static synchronized TestPki get() throws IOException, InterruptedException {
    if (instance == null) {
      Path dir = Files.createTempDirectory("lm-pki");
      dir.toFile().deleteOnExit();
      instance = new TestPki(dir);
    }
    return instance;
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
    if (List.of(args).contains("-genkeypair")) {
      command.addAll(List.of("-keypass", PASSWORD));
    }
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IOException(
          "keytool "
              + String.join(" ", args)
              + " failed: "
              + new String(output, StandardCharsets.UTF_8));
    }
  }

  static KeyStore load(Path store) throws Exception {
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keyStore.load(in, PASSWORD.toCharArray());
    }
    return keyStore;
  }

  /** A transport with the CA-signed node key that trusts the CA. */
  TlsTransport trusted() throws Exception {
    return TlsTransport.builder()
        .keyStore(load(nodeStore), PASSWORD.toCharArray())
        .trustPem(caPem)
        .build();
  }

  /** A transport with the rogue self-signed key that trusts the CA. */
  TlsTransport rogue() throws Exception {
    return TlsTransport.builder()
        .keyStore(load(rogueStore), PASSWORD.toCharArray())
        .trustPem(caPem)
        .build();
  }

  /** Writes the node's chain and PKCS#8 key as PEM files; returns {chain, key}. */
  Path[] nodePem() throws Exception {
    KeyStore store = load(nodeStore);
    Key key = store.getKey("node", PASSWORD.toCharArray());
    Path keyFile = dir.resolve("node.key");
    Files.writeString(
        keyFile,
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded())
            + "\n-----END PRIVATE KEY-----\n");
    StringBuilder chain = new StringBuilder();
    for (java.security.cert.Certificate cert : store.getCertificateChain("node")) {
      chain
          .append("-----BEGIN CERTIFICATE-----\n")
          .append(
              Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                  .encodeToString(cert.getEncoded()))
          .append("\n-----END CERTIFICATE-----\n");
    }
    Path chainFile = dir.resolve("node-chain.pem");
    Files.writeString(chainFile, chain);
    return new Path[] {chainFile, keyFile};
  }
}
