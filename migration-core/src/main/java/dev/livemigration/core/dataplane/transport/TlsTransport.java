package dev.livemigration.core.dataplane.transport;

import dev.livemigration.api.spi.MigrationTransport;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;

/**
 * The transport {@code tls}: TCP with TLS 1.3 through JSSE and mutual authentication — each side
 * presents a certificate and accepts only a peer whose certificate its trust store vouches for.
 * Each channel is one TCP connection with its own TLS session, run through an {@link SSLEngine}
 * that seals many records into one socket write (see {@code TlsChannel}).
 *
 * <p>With the Amazon Corretto Crypto Provider's jar on the class path ({@code
 * software.amazon.cryptools:AmazonCorrettoCryptoProvider}, classifier {@code linux-x86_64} or
 * {@code linux-aarch_64}), the records' AES-GCM runs on its native code, at about half the CPU per
 * byte of the JDK 17's; without it, or with the system property {@code dev.livemigration.tls.accp}
 * set to {@code false}, on the JDK's. See {@link #aesGcmImplementation()}.
 *
 * <p>Discovered by {@link java.util.ServiceLoader}, it uses the JVM's default {@link SSLContext}
 * (the {@code javax.net.ssl.keyStore} and {@code javax.net.ssl.trustStore} properties). Give keys
 * explicitly with {@link #builder()}:
 *
 * <pre>{@code
 * TlsTransport tls = TlsTransport.builder()
 *     .pem(Path.of("node.crt"), Path.of("node.key"))
 *     .trustPem(Path.of("ca.crt"))
 *     .build();
 * }</pre>
 */
public final class TlsTransport implements MigrationTransport {
  /** The transport's id: {@code tls}. */
  public static final String ID = "tls";

  private static final String[] PROTOCOLS = {"TLSv1.3"};

  private final @Nullable SSLContext context;

  /** Creates the transport on the JVM's default {@link SSLContext}. */
  public TlsTransport() {
    this.context = null;
  }

  private TlsTransport(SSLContext context) {
    this.context = context;
  }

  /** Returns a transport on this context; the context must offer TLS 1.3. */
  public static TlsTransport of(SSLContext context) {
    return new TlsTransport(Objects.requireNonNull(context, "context"));
  }

  /** Returns a builder for a transport with its own key and trust material. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String id() {
    return ID;
  }

  /**
   * Which AES-GCM this JVM's TLS records use, in words: the Amazon Corretto Crypto Provider's when
   * its jar is on the class path (installed on first use of a {@code tls} transport as a provider
   * of AES-GCM only, first in the JVM's list), else the JDK's, with the reason.
   */
  public static String aesGcmImplementation() {
    return AesGcmAcceleration.describe();
  }

  private SSLContext context() throws IOException {
    AesGcmAcceleration.ensureInstalled();
    if (context != null) {
      return context;
    }
    try {
      return SSLContext.getDefault();
    } catch (GeneralSecurityException e) {
      throw new IOException("no default TLS context: " + e.getMessage(), e);
    }
  }

  @Override
  public ByteChannel connect(InetSocketAddress address, Duration timeout) throws IOException {
    // TLS through an engine over a TCP socket of our own, so that a stalled connection can be
    // broken at the TCP level, and many records go out in one write: see TlsChannel.
    Socket raw = new Socket();
    try {
      raw.setTcpNoDelay(true);
      int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
      raw.connect(address, millis);
      SSLEngine engine = context().createSSLEngine(address.getHostString(), address.getPort());
      engine.setEnabledProtocols(PROTOCOLS);
      engine.setUseClientMode(true);
      TlsChannel channel = new TlsChannel(raw, engine, false);
      raw.setSoTimeout(millis);
      try {
        channel.handshake();
      } catch (SSLException e) {
        if (String.valueOf(e.getMessage()).contains("nrecognized SSL message")) {
          throw new SSLException(
              "TLS handshake with "
                  + address
                  + " failed: the peer does not speak TLS; it may use plain TCP (transport tcp)",
              e);
        }
        throw new SSLException("TLS handshake with " + address + " failed: " + explain(e), e);
      } catch (java.net.SocketException | java.io.EOFException e) {
        throw new SSLException(
            "TLS handshake with "
                + address
                + " failed: the peer closed the connection without a TLS answer (does it use"
                + " plain TCP, transport tcp?)",
            e);
      }
      raw.setSoTimeout(0);
      return channel;
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }

  @Override
  public Listener listen(InetSocketAddress address) throws IOException {
    SSLContext context = context();
    ServerSocket server = new ServerSocket();
    try {
      server.setReuseAddress(true);
      server.bind(address, 64);
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    InetSocketAddress bound = (InetSocketAddress) server.getLocalSocketAddress();
    return new Listener() {
      @Override
      public InetSocketAddress address() {
        return bound;
      }

      @Override
      public ByteChannel accept() throws IOException {
        Socket raw = server.accept();
        try {
          raw.setTcpNoDelay(true);
          // The handshake runs on the first read or write, on the thread that serves the
          // connection; a refused peer is told why before the connection closes (TlsChannel).
          SSLEngine engine = context.createSSLEngine();
          engine.setEnabledProtocols(PROTOCOLS);
          engine.setUseClientMode(false);
          engine.setNeedClientAuth(true);
          return new TlsChannel(raw, engine, true);
        } catch (IOException | RuntimeException e) {
          raw.close();
          throw e;
        }
      }

      @Override
      public void close() throws IOException {
        server.close();
      }
    };
  }

  /**
   * Explains a TLS failure in words: whether the peer's certificate was not trusted, or the peer
   * refused ours.
   */
  public static String explain(Throwable failure) {
    String message = String.valueOf(failure.getMessage());
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof CertPathBuilderException
          || t instanceof CertPathValidatorException
          || String.valueOf(t.getMessage()).contains("PKIX")) {
        return "the peer's certificate is not trusted (" + message + ")";
      }
    }
    String lower = message.toLowerCase(Locale.ROOT);
    if (lower.contains("certificate_unknown")
        || lower.contains("bad_certificate")
        || lower.contains("unknown_ca")
        || lower.contains("certificate_required")
        || lower.contains("access_denied")) {
      return "the peer refused our certificate as untrusted (" + message + ")";
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof CertificateException) {
        return "the peer's certificate was rejected (" + message + ")";
      }
    }
    return message;
  }

  /** Builds a {@link TlsTransport} from key and trust material. */
  public static final class Builder {
    private @Nullable KeyStore keyStore;
    private char @Nullable [] keyPassword;
    private @Nullable KeyStore trustStore;

    Builder() {}

    /** Uses the key and certificate chain in {@code keyStore}, unlocked by {@code password}. */
    public Builder keyStore(KeyStore keyStore, char[] password) {
      this.keyStore = Objects.requireNonNull(keyStore, "keyStore");
      this.keyPassword = password.clone();
      return this;
    }

    /** Trusts the certificates in {@code trustStore}. */
    public Builder trustStore(KeyStore trustStore) {
      this.trustStore = Objects.requireNonNull(trustStore, "trustStore");
      return this;
    }

    /**
     * Uses a PEM certificate chain (leaf first) and its PKCS#8 PEM private key (RSA or EC).
     *
     * @throws IOException if a file cannot be read or does not hold what it should
     */
    public Builder pem(Path certificateChain, Path privateKey) throws IOException {
      List<Certificate> chain = readCertificates(certificateChain);
      if (chain.isEmpty()) {
        throw new IOException(certificateChain + " holds no PEM certificate");
      }
      PrivateKey key = readPrivateKey(privateKey, chain.get(0).getPublicKey().getAlgorithm());
      try {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        char[] password = new char[0];
        store.setKeyEntry("node", key, password, chain.toArray(Certificate[]::new));
        return keyStore(store, password);
      } catch (GeneralSecurityException e) {
        throw new IOException("cannot hold the key of " + privateKey + ": " + e.getMessage(), e);
      }
    }

    /**
     * Trusts the PEM certificates (typically one CA) in {@code certificates}.
     *
     * @throws IOException if the file cannot be read or holds no certificate
     */
    public Builder trustPem(Path certificates) throws IOException {
      List<Certificate> trusted = readCertificates(certificates);
      if (trusted.isEmpty()) {
        throw new IOException(certificates + " holds no PEM certificate");
      }
      try {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        for (int i = 0; i < trusted.size(); i++) {
          store.setCertificateEntry("ca-" + i, trusted.get(i));
        }
        return trustStore(store);
      } catch (GeneralSecurityException e) {
        throw new IOException("cannot trust " + certificates + ": " + e.getMessage(), e);
      }
    }

    /**
     * Builds the transport.
     *
     * @throws IllegalStateException if the key or the trust material is missing
     * @throws IllegalArgumentException if the material cannot make a TLS 1.3 context
     */
    public TlsTransport build() {
      if (keyStore == null || keyPassword == null) {
        throw new IllegalStateException("the key is required: call keyStore(...) or pem(...)");
      }
      if (trustStore == null) {
        throw new IllegalStateException(
            "the trust material is required: call trustStore(...) or trustPem(...)");
      }
      try {
        KeyManagerFactory keys =
            KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore, keyPassword);
        TrustManagerFactory trust =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trustStore);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), new SecureRandom());
        return new TlsTransport(context);
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException(
            "the key and trust material cannot make a TLS 1.3 context: " + e.getMessage(), e);
      }
    }

    private static List<Certificate> readCertificates(Path path) throws IOException {
      try (InputStream in = Files.newInputStream(path)) {
        return new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
      } catch (CertificateException e) {
        throw new IOException(path + " holds no valid PEM certificate: " + e.getMessage(), e);
      }
    }

    private static PrivateKey readPrivateKey(Path path, String algorithm) throws IOException {
      String pem = Files.readString(path, StandardCharsets.US_ASCII);
      String begin = "-----BEGIN PRIVATE KEY-----";
      String end = "-----END PRIVATE KEY-----";
      int from = pem.indexOf(begin);
      int to = pem.indexOf(end);
      if (from < 0 || to < from) {
        throw new IOException(path + " holds no PKCS#8 PEM private key (expected '" + begin + "')");
      }
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
      } catch (IllegalArgumentException e) {
        throw new IOException(path + " holds a private key that is not valid base64", e);
      }
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
        throw new IOException(
            path + " holds no valid " + algorithm + " private key: " + e.getMessage(), e);
      }
    }
  }
}
