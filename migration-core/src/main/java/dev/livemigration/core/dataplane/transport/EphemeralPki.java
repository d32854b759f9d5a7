package dev.livemigration.core.dataplane.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway public-key infrastructure for loopback demos and tests: a certificate authority and
 * one node key it signed (for {@code 127.0.0.1}, usable as TLS server and client), made at run time
 * with the JDK's {@code keytool} in a private temporary directory, valid for two days. Every {@link
 * #transport()} trusts only this authority, so migrations between two of them are mutually
 * authenticated, as KubeVirt's are.
 *
 * <p>Not for production: the keys live in a temporary directory with a fixed password. Use {@link
 * TlsTransport#builder()} with your cluster's certificates there.
 *
 * <pre>{@code
 * try (EphemeralPki pki = EphemeralPki.create()) {
 *   DataPlaneBackend backend = DataPlaneBackend.builder().tls(pki.transport()).build();
 * }
 * }</pre>
 */
public final class EphemeralPki implements AutoCloseable {
  private static final String PASSWORD = "ephemeral";

  private final Path directory;
  private final Path caPem;
  private final Path nodeStore;

  private EphemeralPki(Path directory) throws IOException {
    this.directory = directory;
    this.caPem = directory.resolve("ca.pem");
    this.nodeStore = directory.resolve("node.p12");
    Path caStore = directory.resolve("ca.p12");
    Path request = directory.resolve("node.csr");
    Path nodePem = directory.resolve("node.pem");
    keytool(genKeyPair("ca", "CN=live-migration ephemeral CA", caStore, "-ext", "bc:c"));
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", caStore, "-file", caPem);
    keytool(genKeyPair("node", "CN=live-migration node", nodeStore));
    keytool("-certreq", "-alias", "node", "-keystore", nodeStore, "-file", request);
    keytool(
        "-gencert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        caStore,
        "-infile",
        request,
        "-outfile",
        nodePem,
        "-validity",
        "2",
        "-ext",
        "san=ip:127.0.0.1",
        "-ext",
        "eku=serverAuth,clientAuth");
    keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem, "-keystore", nodeStore);
    keytool("-importcert", "-alias", "node", "-file", nodePem, "-keystore", nodeStore);
  }

  /**
   * Makes a new authority and node key; takes a second or two (several {@code keytool} runs).
   *
   * @throws IOException if the temporary directory cannot be written or keytool fails
   */
  public static EphemeralPki create() throws IOException {
    Path directory = Files.createTempDirectory("live-migration-pki");
    try {
      return new EphemeralPki(directory);
    } catch (IOException | RuntimeException e) {
      delete(directory);
      throw e;
    }
  }

  /** Returns a TLS transport with the node key that trusts only this authority. */
  public TlsTransport transport() {
    return TlsTransport.builder().keyStore(keyStore(), password()).trustStore(trustStore()).build();
  }

  /** Returns the node's PKCS#12 key store: its key, its certificate chain and the authority. */
  public KeyStore keyStore() {
    try (InputStream in = Files.newInputStream(nodeStore)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password());
      return store;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot read " + nodeStore, e);
    }
  }

  /** Returns a key store holding only this authority's certificate. */
  public KeyStore trustStore() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setCertificateEntry("ca", keyStore().getCertificate("ca"));
      return store;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a trust store", e);
    }
  }

  /** Returns the password of {@link #keyStore()} and its key (a fresh copy). */
  public char[] password() {
    return PASSWORD.toCharArray();
  }

  /** Returns the authority's certificate as a PEM file. */
  public Path caPem() {
    return caPem;
  }

  /** Deletes the keys from disk; transports made earlier keep working. */
  @Override
  public void close() {
    delete(directory);
  }

  private static Object[] genKeyPair(String alias, String name, Path store, Object... extra) {
    List<Object> args =
        new ArrayList<>(
            List.of(
                "-genkeypair",
                "-alias",
                alias,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                name,
                "-validity",
                "2",
                "-keypass",
                PASSWORD,
                "-keystore",
                store));
    args.addAll(List.of(extra));
    return args.toArray();
  }

  private static void keytool(Object... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    // Each run is a short-lived JVM: the quick compiler and the serial collector halve its start.
    command.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
    for (Object arg : args) {
      command.add(arg.toString());
    }
    command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      byte[] output = process.getInputStream().readAllBytes();
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IOException(
            "keytool " + args[0] + " failed: " + new String(output, StandardCharsets.UTF_8));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running keytool " + args[0], e);
    } finally {
      process.destroyForcibly();
    }
  }

  private static void delete(Path directory) {
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // Best effort: the directory is a temporary one.
    }
  }
}
