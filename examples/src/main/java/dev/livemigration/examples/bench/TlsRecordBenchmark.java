package dev.livemigration.examples.bench;

import dev.livemigration.core.dataplane.transport.EphemeralPki;
import dev.livemigration.core.dataplane.transport.TlsTransport;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Random;
import javax.crypto.Cipher;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The CPU that TLS 1.3 records cost per byte, without sockets: a client and a server {@link
 * SSLEngine} of one mutually authenticated session in one thread, sealing 1 MiB of random bytes at
 * a time into records and opening them again, timed by the thread's CPU clock (so other load on the
 * machine barely changes it). Rows: JSSE on the JDK's AES-GCM, JSSE on the Amazon Corretto Crypto
 * Provider's (as the {@code tls} transport uses it when present), and, when its jar is added to the
 * class path, Conscrypt's own engine on BoringSSL. Each with the application's bytes in direct
 * buffers (as the data plane's frames are) and the records in heap or direct buffers. Not a test:
 * run it (see docs/benchmarks.md).
 */
public final class TlsRecordBenchmark {
  private static final long BYTES_PER_ROUND = 1L << 30;

  private TlsRecordBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rounds = Integer.getInteger("bench.rounds", 5);
    System.out.println("TLS 1.3 records, wrap + unwrap in one thread, CPU seconds per GiB");
    System.out.printf(Locale.ROOT, "%-46s %s%n", "what", "best of " + rounds + " (all rounds)");
    try (EphemeralPki pki = EphemeralPki.create()) {
      // The JDK's AES-GCM first: the tls transport puts ACCP's first on its first use.
      for (boolean directRecords : new boolean[] {false, true}) {
        row("jsse, JDK AES-GCM", jsse(pki), directRecords, rounds);
      }
      String accp = TlsTransport.aesGcmImplementation();
      if (accp.startsWith("ACCP")) {
        for (boolean directRecords : new boolean[] {false, true}) {
          row("jsse, ACCP AES-GCM", jsse(pki), directRecords, rounds);
        }
      } else {
        System.out.println("jsse, ACCP AES-GCM: not run (" + accp + ")");
      }
      Provider conscrypt = conscrypt();
      if (conscrypt != null) {
        for (boolean directRecords : new boolean[] {false, true}) {
          row("conscrypt engine", context(pki, conscrypt), directRecords, rounds);
        }
      } else {
        System.out.println("conscrypt engine: not run (org.conscrypt is not on the class path)");
      }
    }
    System.out.println(
        "java "
            + System.getProperty("java.version")
            + "; AES-GCM now: "
            + Cipher.getInstance("AES/GCM/NoPadding").getProvider().getName());
  }

  private static SSLContext jsse(EphemeralPki pki) throws Exception {
    return context(pki, null);
  }

  private static void row(String what, SSLContext context, boolean directRecords, int rounds)
      throws Exception {
    SSLEngine client = context.createSSLEngine("node", 1);
    client.setUseClientMode(true);
    client.setEnabledProtocols(new String[] {"TLSv1.3"});
    SSLEngine server = context.createSSLEngine();
    server.setUseClientMode(false);
    server.setNeedClientAuth(true);
    server.setEnabledProtocols(new String[] {"TLSv1.3"});
    ByteBuffer toServer = allocate(1 << 20, directRecords);
    ByteBuffer toClient = allocate(1 << 20, directRecords);
    ByteBuffer sink = ByteBuffer.allocateDirect(1 << 20);
    handshake(client, server, toServer, toClient, sink);
    ByteBuffer source = ByteBuffer.allocateDirect(1 << 20);
    Random random = new Random(1);
    while (source.hasRemaining()) {
      source.putInt(random.nextInt());
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    double best = Double.MAX_VALUE;
    StringBuilder all = new StringBuilder();
    for (int round = -2; round < rounds; round++) { // two rounds of JIT warm-up
      long cpu = threads.getCurrentThreadCpuTime();
      long bytes = 0;
      while (bytes < BYTES_PER_ROUND) {
        source.clear();
        while (source.hasRemaining()) {
          toServer.clear();
          int packet = client.getSession().getPacketBufferSize();
          while (source.hasRemaining() && toServer.remaining() >= packet) {
            client.wrap(source, toServer);
          }
          toServer.flip();
          while (toServer.hasRemaining()) {
            sink.clear();
            SSLEngineResult result = server.unwrap(toServer, sink);
            if (result.getStatus() != SSLEngineResult.Status.OK) {
              throw new IllegalStateException("unwrap: " + result);
            }
            bytes += result.bytesProduced();
          }
        }
      }
      double seconds = (threads.getCurrentThreadCpuTime() - cpu) / 1e9 * (1L << 30) / bytes;
      if (round >= 0) {
        best = Math.min(best, seconds);
        all.append(String.format(Locale.ROOT, " %.3f", seconds));
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%-46s %.3f s/GiB (%s) %s%n",
        what + ", records in " + (directRecords ? "direct" : "heap") + " buffers",
        best,
        all.toString().trim(),
        client.getSession().getCipherSuite());
  }

  private static void handshake(
      SSLEngine client, SSLEngine server, ByteBuffer toServer, ByteBuffer toClient, ByteBuffer sink)
      throws Exception {
    client.beginHandshake();
    server.beginHandshake();
    for (int i = 0; i < 1000 && (shaking(client) || shaking(server)); i++) {
      step(client, toClient, toServer, sink);
      step(server, toServer, toClient, sink);
    }
    if (shaking(client) || shaking(server)) {
      throw new IllegalStateException("the handshake did not finish");
    }
  }

  private static boolean shaking(SSLEngine engine) {
    SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
    return status != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
        && status != SSLEngineResult.HandshakeStatus.FINISHED;
  }

  private static void step(SSLEngine engine, ByteBuffer in, ByteBuffer out, ByteBuffer sink)
      throws Exception {
    switch (engine.getHandshakeStatus()) {
      case NEED_WRAP -> engine.wrap(ByteBuffer.allocate(0), out);
      case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
        in.flip();
        engine.unwrap(in, sink);
        in.compact();
      }
      case NEED_TASK -> {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
          task.run();
        }
      }
      default -> {}
    }
  }

  private static ByteBuffer allocate(int bytes, boolean direct) {
    return direct ? ByteBuffer.allocateDirect(bytes) : ByteBuffer.allocate(bytes);
  }

  private static Provider conscrypt() {
    try {
      return (Provider)
          Class.forName("org.conscrypt.Conscrypt").getMethod("newProvider").invoke(null);
    } catch (ReflectiveOperationException | LinkageError e) {
      return null;
    }
  }

  /** A TLS 1.3 context on the PKI's key and trust, of {@code provider} (JSSE when null). */
  private static SSLContext context(EphemeralPki pki, Provider provider) throws Exception {
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(pki.keyStore(), pki.password());
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(pki.trustStore());
    TrustManager[] managers = trust.getTrustManagers();
    SSLContext context;
    if (provider == null) {
      context = SSLContext.getInstance("TLSv1.3");
    } else {
      context = SSLContext.getInstance("TLSv1.3", provider);
      // Conscrypt names the TLS 1.3 key exchange GENERIC, which the JDK's trust manager does not
      // know; the JDK itself says UNKNOWN there.
      managers = new TrustManager[] {new GenericAuthType((X509TrustManager) managers[0])};
    }
    context.init(keys.getKeyManagers(), managers, new SecureRandom());
    return context;
  }

  private record GenericAuthType(X509TrustManager jdk) implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      jdk.checkClientTrusted(chain, fix(authType));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      jdk.checkServerTrusted(chain, fix(authType));
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return jdk.getAcceptedIssuers();
    }

    private static String fix(String authType) {
      return "GENERIC".equals(authType) ? "UNKNOWN" : authType;
    }
  }
}
