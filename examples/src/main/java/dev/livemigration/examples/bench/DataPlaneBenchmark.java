package dev.livemigration.examples.bench;

import dev.livemigration.api.MigrationCompression;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.core.dataplane.IncomingMigration;
import dev.livemigration.core.dataplane.OutgoingMigration;
import dev.livemigration.core.dataplane.PagedMemory;
import dev.livemigration.core.dataplane.TargetAgent;
import dev.livemigration.core.dataplane.TransferOptions;
import dev.livemigration.core.dataplane.transport.EphemeralPki;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import dev.livemigration.core.dataplane.transport.TlsTransport;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.Security;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;

/**
 * Throughput of the built-in data plane over loopback, against a raw socket blast of the same bytes
 * in the same run: a guest of random content (2 GiB unless {@code -Dbench.mib=N}) moved over {@code
 * tcp} and {@code tls} with 1, 2 and 4 channels ({@code -Dbench.channels=...}), unlimited
 * bandwidth, idle guest, after a JIT warm-up over both transports; beside it an iperf-like raw
 * stream and, when {@code qemu-system-x86_64} and {@code openssl} are installed, QEMU's own
 * loopback migration of the same size ({@link QemuBenchmark}: one stream, multifd, TLS); every
 * figure as a ratio to the raw socket, with the downtime of the TLS and QEMU rows. Not a test: run
 * it and read the figures.
 *
 * <pre>
 * java -XX:MaxDirectMemorySize=8g -cp ... dev.livemigration.examples.bench.DataPlaneBenchmark
 * </pre>
 *
 * <p>{@code -Dbench.mode=tls} runs only the TLS rows, for profiling; {@code -Dbench.qemu=false}
 * leaves QEMU out.
 *
 * <p>{@code -Dbench.mode=compression} instead compares {@code experimental.compression: none} and
 * {@code zstd} on a compressible and an incompressible guest (512 MiB unless {@code
 * -Dbench.mib=N}), unlimited and at a bandwidth limit ({@code -Dbench.limitMib=N}, 128 unless set):
 * each zstd figure as a ratio to the uncompressed run of the same guest and limit, measured in the
 * same run.
 */
public final class DataPlaneBenchmark {
  static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

  private DataPlaneBenchmark() {}

  /** Runs the benchmark and prints one line per configuration. */
  public static void main(String[] args) throws Exception {
    if ("compression".equals(System.getProperty("bench.mode"))) {
      compression();
      return;
    }
    if ("tls".equals(System.getProperty("bench.mode"))) {
      tlsOnly();
      return;
    }
    long mib = Long.getLong("bench.mib", 2048);
    int rounds = Integer.getInteger("bench.rounds", 3);
    PagedMemory guest = randomGuest(mib << 20);
    List<String> lines = new ArrayList<>();
    lines.add(
        String.format(
            Locale.ROOT,
            "guest: %d MiB of random content, %d round(s) each, best shown; downtime of the best"
                + " round",
            mib,
            rounds));
    lines.add(
        String.format(
            Locale.ROOT,
            "%-46s %8s  %9s  %9s  %s",
            "what",
            "MiB/s",
            "ratio",
            "cpu s/GiB",
            "downtime ms"));
    TlsTransport tls;
    try (EphemeralPki pki = EphemeralPki.create()) {
      tls = pki.transport();
    }
    TcpTransport tcp = new TcpTransport();
    // Warm up the JIT on a small guest first, as a long-running agent would be: over tcp and over
    // tls (JSSE's AES-GCM and record code run many times slower until compiled).
    try (PagedMemory warm = randomGuest(256L << 20)) {
      for (int i = 0; i < 4; i++) {
        migrate(warm, tcp, 1 + i % 2);
        migrate(warm, tls, 1 + i % 2);
      }
    }
    Rate rawRate = best(rounds, () -> RawSocket.blast(guest));
    double raw = rawRate.bytesPerSecond();
    lines.add(line("raw socket blast (tcp, 1 stream)", rawRate, raw, -1));
    Rate iperf = best(rounds, () -> RawSocket.iperfLike(guest.size()));
    lines.add(line("iperf-like raw (1 stream, 128 KiB writes)", iperf, raw, -1));
    rows("tcp", tcp, guest, rounds, raw, lines);
    String cipher = TlsTransport.aesGcmImplementation();
    boolean accp = cipher.startsWith("ACCP");
    rows(accp ? "tls (ACCP AES-GCM)" : "tls", tls, guest, rounds, raw, lines);
    if (accp) {
      // The same rows on the JDK's AES-GCM: without the provider the tls transport put first.
      Security.removeProvider(Cipher.getInstance("AES/GCM/NoPadding").getProvider().getName());
      try (PagedMemory warm = randomGuest(256L << 20)) {
        for (int i = 0; i < 4; i++) {
          migrate(warm, tls, 1 + i % 2);
        }
      }
      rows("tls (JDK AES-GCM)", tls, guest, rounds, raw, lines);
    }
    Rate rawAfter = best(rounds, () -> RawSocket.blast(guest));
    lines.add(line("raw socket blast again, after the rows", rawAfter, raw, -1));
    lines.add("AES-GCM of the tls rows: " + cipher);
    guest.close();
    lines.forEach(System.out::println);
    if (QemuBenchmark.available()
        && Boolean.parseBoolean(System.getProperty("bench.qemu", "true"))) {
      try (QemuBenchmark qemu = QemuBenchmark.create(mib)) {
        for (QemuBenchmark.Mode mode : QemuBenchmark.Mode.values()) {
          QemuBenchmark.Result best = qemu.best(mode, rounds);
          System.out.println(
              line(
                  "qemu " + mode.label(),
                  new Rate(best.bytesPerSecond(), Double.NaN),
                  raw,
                  best.downtimeMillis()));
        }
      }
    } else {
      System.out.println("qemu: qemu-system-x86_64 or openssl not found, or -Dbench.qemu=false");
    }
    if (Boolean.parseBoolean(System.getProperty("bench.downtime", "true"))) {
      DowntimeAndConvergence.downtime();
      DowntimeAndConvergence.convergence();
    }
    bandwidthAccuracy();
  }

  /**
   * Adds a row per channel count for {@code name} over {@code transport} (the best of {@code
   * rounds}, with its downtime for TLS), and the best channel count.
   */
  private static void rows(
      String name,
      MigrationTransport transport,
      PagedMemory guest,
      int rounds,
      double raw,
      List<String> lines)
      throws Exception {
    Timed bestOfAll = null;
    int bestChannels = 0;
    for (int channels : channelCounts()) {
      Timed best = null;
      for (int i = 0; i < rounds; i++) {
        Timed run = timed(guest, transport, TransferOptions.defaults().withChannels(channels));
        best =
            best == null || run.rate().bytesPerSecond() > best.rate().bytesPerSecond() ? run : best;
      }
      lines.add(
          line(
              "data plane " + name + ", " + channels + " channel(s)",
              best.rate(),
              raw,
              name.startsWith("tls") ? best.downtimeMillis() : -1));
      if (bestOfAll == null || best.rate().bytesPerSecond() > bestOfAll.rate().bytesPerSecond()) {
        bestOfAll = best;
        bestChannels = channels;
      }
    }
    lines.add(
        line("  best " + name + ": " + bestChannels + " channel(s)", bestOfAll.rate(), raw, -1));
  }

  /** Only TLS, for profiling: {@code -Dbench.channels=1,2} (default 1). */
  private static void tlsOnly() throws Exception {
    long mib = Long.getLong("bench.mib", 2048);
    int rounds = Integer.getInteger("bench.rounds", 3);
    TlsTransport tls;
    try (EphemeralPki pki = EphemeralPki.create()) {
      tls = pki.transport();
    }
    try (PagedMemory guest = randomGuest(mib << 20)) {
      try (PagedMemory warm = randomGuest(256L << 20)) {
        for (int i = 0; i < 3; i++) {
          migrate(warm, tls, 1 + i % 2);
        }
      }
      double raw = best(rounds, () -> RawSocket.blast(guest)).bytesPerSecond();
      System.out.printf(
          Locale.ROOT,
          "raw socket blast: %.0f MiB/s; AES-GCM: %s%n",
          raw / (1 << 20),
          TlsTransport.aesGcmImplementation());
      for (String c : System.getProperty("bench.channels", "1").split(",")) {
        int channels = Integer.parseInt(c.trim());
        for (int i = 0; i < rounds; i++) {
          double rate = migrate(guest, tls, channels);
          System.out.printf(
              Locale.ROOT,
              "tls %d channel(s): %.0f MiB/s, %.2fx raw%n",
              channels,
              rate / (1 << 20),
              rate / raw);
        }
      }
    }
  }

  /**
   * How closely the bandwidth limit holds: a 384 MiB idle guest of random content at 32, 64 and 128
   * MiB/s, progress sampled every 50 ms; the rate over every 2-second window (from each sample to
   * the first one at least 2 s later) compared with the limit.
   */
  private static void bandwidthAccuracy() throws Exception {
    System.out.println();
    System.out.println(
        "bandwidth limit: 384 MiB guest over tcp, rate over every 2 s window vs the limit");
    try (PagedMemory guest = randomGuest(384L << 20)) {
      for (long limitMib : new long[] {32, 64, 128}) {
        long limit = limitMib << 20;
        TcpTransport tcp = new TcpTransport();
        TransferOptions options = TransferOptions.defaults().withBandwidth(limit);
        List<long[]> samples = new ArrayList<>();
        try (TargetAgent agent = TargetAgent.start(tcp, LOOPBACK, options.ioTimeout())) {
          String uid = UUID.randomUUID().toString();
          IncomingMigration incoming = expect(agent, uid, guest);
          try (OutgoingMigration out =
              OutgoingMigration.start(
                  guest, tcp, agent.address(), uid, incoming.token(), options)) {
            while (!out.completion().isDone()) {
              samples.add(new long[] {System.nanoTime(), out.progress().dataProcessed()});
              TimeUnit.MILLISECONDS.sleep(50);
            }
            out.completion().get();
          }
          ((PagedMemory) incoming.completion().get(1, TimeUnit.MINUTES)).close();
          guest.resume();
        }
        double worst = 0;
        int windows = 0;
        int within = 0;
        for (int i = 0, j = 0; i < samples.size(); i++) {
          while (j < samples.size() && samples.get(j)[0] - samples.get(i)[0] < 2_000_000_000L) {
            j++;
          }
          if (j == samples.size()) {
            break;
          }
          double seconds = (samples.get(j)[0] - samples.get(i)[0]) / 1e9;
          double rate = (samples.get(j)[1] - samples.get(i)[1]) / seconds;
          double deviation = Math.abs(rate - limit) / limit;
          worst = Math.max(worst, deviation);
          windows++;
          within += deviation <= 0.05 ? 1 : 0;
        }
        System.out.printf(
            Locale.ROOT,
            "limit %4d MiB/s: %d of %d windows within 5%%, worst deviation %.1f%%%n",
            limitMib,
            within,
            windows,
            worst * 100);
      }
    }
  }

  private interface Measure {
    Rate run() throws Exception;
  }

  /** The fastest of {@code rounds} runs. */
  private static Rate best(int rounds, Measure measure) throws Exception {
    Rate best = null;
    for (int i = 0; i < rounds; i++) {
      Rate run = measure.run();
      best = best == null || run.bytesPerSecond() > best.bytesPerSecond() ? run : best;
    }
    return best;
  }

  private static String line(String what, Rate rate, double raw, long downtimeMillis) {
    return String.format(
        Locale.ROOT,
        "%-46s %8.0f  %5.2fx raw  %9s  %s",
        what,
        rate.bytesPerSecond() / (1 << 20),
        rate.bytesPerSecond() / raw,
        Double.isNaN(rate.cpuSecondsPerGiB())
            ? "-"
            : String.format(Locale.ROOT, "%.2f", rate.cpuSecondsPerGiB()),
        downtimeMillis < 0 ? "" : String.valueOf(downtimeMillis));
  }

  private static int[] channelCounts() {
    String[] parts = System.getProperty("bench.channels", "1,2,4").split(",");
    int[] counts = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      counts[i] = Integer.parseInt(parts[i].trim());
    }
    return counts;
  }

  /** One migration's rate, with the downtime it reported (-1 for none). */
  private record Timed(Rate rate, long downtimeMillis) {}

  static PagedMemory randomGuest(long bytes) {
    PagedMemory memory = PagedMemory.allocate(bytes);
    ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    long x = 0x9E3779B97F4A7C15L;
    for (long at = 0; at < bytes; at += chunk.capacity()) {
      chunk.clear();
      while (chunk.hasRemaining()) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        chunk.putLong(x);
      }
      chunk.flip();
      memory.write(at, chunk);
    }
    return memory;
  }

  /**
   * Compression: none against zstd, on a guest whose pages repeat a short text (compressible, like
   * idle or text-heavy memory) and on random bytes (incompressible), unlimited and limited.
   */
  private static void compression() throws Exception {
    long mib = Long.getLong("bench.mib", 512);
    int rounds = Integer.getInteger("bench.rounds", 3);
    long limitMib = Long.getLong("bench.limitMib", 128);
    System.out.printf(
        Locale.ROOT,
        "compression: %d MiB guests over tcp, 1 channel, %d round(s) each, best shown%n",
        mib,
        rounds);
    TcpTransport tcp = new TcpTransport();
    try (PagedMemory warm = repetitiveGuest(128L << 20)) {
      for (MigrationCompression codec : MigrationCompression.values()) {
        migrate(warm, tcp, TransferOptions.defaults().withCompression(codec));
      }
    }
    List<String> lines = new ArrayList<>();
    for (String kind : new String[] {"compressible", "incompressible"}) {
      try (PagedMemory guest =
          kind.equals("compressible") ? repetitiveGuest(mib << 20) : randomGuest(mib << 20)) {
        for (long limit : new long[] {0, limitMib << 20}) {
          TransferOptions options = TransferOptions.defaults().withBandwidth(limit);
          double none = best(rounds, () -> timed(guest, tcp, options).rate()).bytesPerSecond();
          double zstd =
              best(
                      rounds,
                      () ->
                          timed(guest, tcp, options.withCompression(MigrationCompression.ZSTD))
                              .rate())
                  .bytesPerSecond();
          String where = limit == 0 ? "unlimited" : "limit " + limitMib + " MiB/s";
          lines.add(
              String.format(
                  Locale.ROOT,
                  "%-15s %-18s none %8.0f MiB/s   zstd %8.0f MiB/s   zstd/none %5.2fx",
                  kind,
                  where,
                  none / (1 << 20),
                  zstd / (1 << 20),
                  zstd / none));
        }
      }
    }
    lines.forEach(System.out::println);
  }

  /** A guest whose pages repeat a short text that names the page: zstd shrinks it a lot. */
  private static PagedMemory repetitiveGuest(long bytes) {
    PagedMemory memory = PagedMemory.allocate(bytes);
    ByteBuffer page = ByteBuffer.allocateDirect(memory.pageSize());
    for (int i = 0; i < memory.pageCount(); i++) {
      byte[] text =
          ("page " + i + ": the same log line again; ")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      page.clear();
      for (int at = 0; at < page.capacity(); at++) {
        page.put(text[at % text.length]);
      }
      memory.write((long) i * memory.pageSize(), page.flip());
    }
    return memory;
  }

  /** Migrates the guest once; returns its size divided by the time to completion. */
  private static double migrate(PagedMemory guest, MigrationTransport transport, int channels)
      throws Exception {
    return migrate(guest, transport, TransferOptions.defaults().withChannels(channels));
  }

  /** Migrates the guest once with these options; returns its size divided by the time taken. */
  private static double migrate(
      PagedMemory guest, MigrationTransport transport, TransferOptions options) throws Exception {
    return timed(guest, transport, options).rate().bytesPerSecond();
  }

  /** Migrates the guest once; returns its size divided by the time taken, and the downtime. */
  private static Timed timed(
      PagedMemory guest, MigrationTransport transport, TransferOptions options) throws Exception {
    try (TargetAgent agent = TargetAgent.start(transport, LOOPBACK, options.ioTimeout())) {
      String uid = UUID.randomUUID().toString();
      IncomingMigration incoming = expect(agent, uid, guest);
      long started = System.nanoTime();
      long cpu = Rate.cpuNanos();
      ProgressSample last;
      try (OutgoingMigration out =
          OutgoingMigration.start(
              guest, transport, agent.address(), uid, incoming.token(), options)) {
        last = out.completion().get(10, TimeUnit.MINUTES);
      }
      long wall = System.nanoTime() - started;
      long cpuUsed = Rate.cpuNanos() - cpu;
      if (last.status() != ProgressSample.Status.COMPLETED) {
        throw new IllegalStateException("migration failed: " + last.failureReason().orElse("?"));
      }
      PagedMemory target = (PagedMemory) incoming.completion().get(1, TimeUnit.MINUTES);
      if (target.mismatch(guest) >= 0) {
        throw new IllegalStateException("the target differs from the source");
      }
      target.close();
      guest.resume();
      return new Timed(
          Rate.of(guest.size(), wall, cpuUsed),
          last.downtime().map(java.time.Duration::toMillis).orElse(-1L));
    }
  }

  /** Announces a migration of {@code guest} to the agent, received into fresh memory. */
  static IncomingMigration expect(TargetAgent agent, String uid, PagedMemory guest) {
    return agent.expect(
        uid,
        guest.pageSize(),
        guest.pageCount(),
        () -> PagedMemory.allocate(guest.pageSize(), guest.pageCount()));
  }
}
