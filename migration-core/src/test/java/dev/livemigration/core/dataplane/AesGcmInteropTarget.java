package dev.livemigration.core.dataplane;

import dev.livemigration.core.dataplane.transport.TlsTransport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The target side of {@link AesGcmInteropTest}, in a JVM of its own: a TLS agent that expects one
 * migration, then checks the memory it received against the guest both sides build from a seed.
 * Arguments: chain PEM, key PEM, CA PEM, pages, seed, uid. Prints {@code AES-GCM <words>}, {@code
 * READY <port> <token>}, then {@code IDENTICAL} or {@code DIFFERENT <offset>}; the parent's line
 * {@code GO} on standard input is not needed, the end of standard input ends it.
 */
public final class AesGcmInteropTarget {
  private AesGcmInteropTarget() {}

  public static void main(String[] args) throws Exception {
    TlsTransport tls =
        TlsTransport.builder()
            .pem(Path.of(args[0]), Path.of(args[1]))
            .trustPem(Path.of(args[2]))
            .build();
    int pages = Integer.parseInt(args[3]);
    long seed = Long.parseLong(args[4]);
    String uid = args[5];
    System.out.println("AES-GCM " + TlsTransport.aesGcmImplementation());
    try (TargetAgent agent =
            TargetAgent.start(tls, new InetSocketAddress("127.0.0.1", 0), Duration.ofSeconds(30));
        PagedMemory expected = Guests.random(pages, seed)) {
      int pageSize = expected.pageSize();
      IncomingMigration incoming =
          agent.expect(uid, pageSize, pages, () -> PagedMemory.allocate(pageSize, pages));
      System.out.println("READY " + agent.address().getPort() + " " + incoming.token());
      System.out.flush();
      try (PagedMemory received = (PagedMemory) incoming.completion().get(2, TimeUnit.MINUTES)) {
        long mismatch = received.mismatch(expected);
        System.out.println(mismatch < 0 ? "IDENTICAL" : "DIFFERENT " + mismatch);
      }
      System.out.flush();
      new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    }
  }
}
