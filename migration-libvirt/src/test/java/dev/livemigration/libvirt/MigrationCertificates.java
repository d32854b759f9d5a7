package dev.livemigration.libvirt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Throwaway certificates for QEMU's migration TLS, made with {@code openssl}: a CA and one
 * certificate it signs for {@code 127.0.0.1} and {@code localhost}, usable as server and client, in
 * the file names QEMU reads from {@code migrate_tls_x509_cert_dir}.
 */
final class MigrationCertificates {
  /** The files QEMU reads, in a migration TLS directory. */
  static final List<String> FILES =
      List.of(
          "ca-cert.pem", "server-cert.pem", "server-key.pem", "client-cert.pem", "client-key.pem");

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final String CONFIG =
      String.join(
          "\n",
          "[req]",
          "distinguished_name = dn",
          "prompt = no",
          "[dn]",
          "CN = unused",
          "[ca]",
          "basicConstraints = critical, CA:TRUE",
          "keyUsage = critical, keyCertSign, cRLSign",
          "subjectKeyIdentifier = hash",
          "[leaf]",
          "basicConstraints = critical, CA:FALSE",
          "keyUsage = critical, digitalSignature, keyEncipherment",
          "extendedKeyUsage = serverAuth, clientAuth",
          "subjectAltName = IP:127.0.0.1, DNS:localhost",
          "subjectKeyIdentifier = hash",
          "authorityKeyIdentifier = keyid",
          "");

  private MigrationCertificates() {}

  /**
   * Creates a CA called {@code name} and a certificate it signs in a new directory {@code name}
   * under {@code parent}, and returns that directory (it holds {@link #FILES}).
   */
  static Path create(Path parent, String name) throws IOException {
    Path dir = Files.createDirectories(parent.resolve(name));
    String config = Files.writeString(dir.resolve("openssl.cnf"), CONFIG).toString();
    String ca = dir.resolve("ca-cert.pem").toString();
    String caKey = dir.resolve("ca-key.pem").toString();
    String cert = dir.resolve("server-cert.pem").toString();
    String key = dir.resolve("server-key.pem").toString();
    String request = dir.resolve("request.pem").toString();
    openssl(
        "req",
        "-x509",
        "-config",
        config,
        "-extensions",
        "ca",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        caKey,
        "-out",
        ca,
        "-days",
        "2",
        "-subj",
        "/CN=" + name + " CA");
    openssl(
        "req",
        "-new",
        "-config",
        config,
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        request,
        "-subj",
        "/CN=localhost");
    openssl(
        "x509",
        "-req",
        "-in",
        request,
        "-CA",
        ca,
        "-CAkey",
        caKey,
        "-set_serial",
        "2",
        "-days",
        "2",
        "-extfile",
        config,
        "-extensions",
        "leaf",
        "-out",
        cert);
    Files.copy(Path.of(cert), dir.resolve("client-cert.pem"));
    Files.copy(Path.of(key), dir.resolve("client-key.pem"));
    return dir;
  }

  private static void openssl(String... arguments) {
    List<String> command = new ArrayList<>();
    command.add(LibvirtDaemons.which("openssl").orElseThrow().toString());
    command.addAll(List.of(arguments));
    LibvirtDaemons.run(TIMEOUT, command);
  }

  /** Replaces the certificates in a node's migration TLS directory by the ones in {@code set}. */
  static void install(Path set, Path tlsDir) throws IOException {
    for (String file : FILES) {
      Files.copy(set.resolve(file), tlsDir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Empties a node's migration TLS directory. */
  static void remove(Path tlsDir) throws IOException {
    for (String file : FILES) {
      Files.deleteIfExists(tlsDir.resolve(file));
    }
  }
}
