package dev.livemigration.examples.embed;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.core.dataplane.IncomingMigration;
import dev.livemigration.core.dataplane.OutgoingMigration;
import dev.livemigration.core.dataplane.PagedMemory;
import dev.livemigration.core.dataplane.TargetAgent;
import dev.livemigration.core.dataplane.TransferOptions;
import dev.livemigration.core.dataplane.transport.EphemeralPki;
import dev.livemigration.core.dataplane.transport.TlsTransport;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * An application's own in-memory state, moved live from one JVM process to another over the
 * built-in data plane: a table of 64-bit counters in a {@link PagedMemory} that the application
 * keeps incrementing, 20,000 times a second, nine in ten on a hot sixty-fourth of the table, while
 * the table migrates.
 *
 * <p>This JVM launches the receiving JVM ({@link Receiver}, same {@code java.home} and class path)
 * and hands it the node key of an {@link EphemeralPki} and its password through the child's stdin,
 * never on a command line; the authority's public certificate goes as a file path. Both sides
 * present that key and trust only that authority, so the link is mutually authenticated. The
 * receiver starts a {@link TargetAgent} on {@code 127.0.0.1} with TLS, expects the migration and
 * prints its address and one-time token on stdout; this JVM moves the table with an {@link
 * OutgoingMigration} (pre-copy at KubeVirt's default 64 MiB/s), then tells the receiver the SHA-256
 * and the counter sum of the table as the application left it at the switch. The receiver checks
 * both against what it received and reports.
 *
 * <pre>
 * java -cp ... dev.livemigration.examples.embed.TwoJvmStateMigration [state MiB, 128 unless given]
 * </pre>
 */
public final class TwoJvmStateMigration {
  /** The application's updates per second, paced. */
  static final long UPDATES_PER_SECOND = 20_000;

  /** The data plane's bandwidth: KubeVirt's default {@code bandwidthPerMigration}. */
  static final long BANDWIDTH = MigrationConfiguration.DEFAULT_BANDWIDTH_PER_MIGRATION.bytes();

  /** How long one side waits for the other's next line before giving up. */
  private static final long LINE_TIMEOUT_SECONDS = 120;

  private TwoJvmStateMigration() {}

  /**
   * What the sending side ends with.
   *
   * @param last the migration's last sample
   * @param updates the application's updates, all of them in the migrated table
   * @param updatesWhileMigrating those made between the start of the migration and the switch
   * @param loadedSum the sum of the counters as loaded, before any update
   * @param sum the sum of the counters at the switch (after a failure: once the app stopped);
   *     {@code loadedSum + updates} if no update was lost
   * @param digest the SHA-256 of the table at the same moment
   * @param report the receiver's last line: {@code VERIFIED ...}, {@code MISMATCH ...} or {@code
   *     FAILED ...}
   * @param receiverExit the receiving JVM's exit code: 0 once it verified the table
   */
  public record Result(
      ProgressSample last,
      long updates,
      long updatesWhileMigrating,
      long loadedSum,
      long sum,
      String digest,
      String report,
      int receiverExit) {}

  /** Moves a 128 MiB table (or as many MiB as the first argument says); exits 1 on failure. */
  public static void main(String[] args) throws IOException, InterruptedException {
    long mib = args.length > 0 ? Long.parseLong(args[0]) : 128;
    Result result = run(mib << 20, System.out);
    if (result.receiverExit() != 0) {
      System.exit(1);
    }
  }

  /**
   * Migrates a counter table of {@code stateBytes} (a positive multiple of 4 KiB) to a new JVM
   * while the application updates it, and returns what the receiving JVM reported.
   */
  public static Result run(long stateBytes, PrintStream out)
      throws IOException, InterruptedException {
    String uid = "app-state-" + UUID.randomUUID();
    try (EphemeralPki pki = EphemeralPki.create();
        CounterTable table = new CounterTable(PagedMemory.allocate(stateBytes), 42)) {
      PagedMemory memory = table.memory();
      table.start();
      Process child = launchReceiver(uid, memory, pki.caPem());
      try (Lines receiver = new Lines(child, out)) {
        receiver.send(Base64.getEncoder().encodeToString(keyStoreBytes(pki)));
        receiver.send(new String(pki.password()));
        String[] ready = receiver.expect("READY");
        InetSocketAddress agent = new InetSocketAddress(ready[1], Integer.parseInt(ready[2]));
        long before = table.updates();
        ProgressSample last;
        TransferOptions options = TransferOptions.defaults().withBandwidth(BANDWIDTH);
        try (OutgoingMigration migration =
            OutgoingMigration.start(memory, pki.transport(), agent, uid, ready[3], options)) {
          last = migration.completion().join();
        }
        boolean moved = last.status() == ProgressSample.Status.COMPLETED;
        // After a failure the table runs on here: stop the app before reading it. After the
        // switch it stays paused: read it, then free it, which stops the app.
        long updates = moved ? 0 : table.retire();
        String digest = memory.digestHex();
        long sum = sum(memory);
        if (moved) {
          updates = table.retire();
          receiver.send("SOURCE " + digest + " " + sum);
        } else {
          receiver.send("ABORTED " + last.failureReason().orElse("the migration failed"));
        }
        out.printf(
            Locale.ROOT,
            "sender:   %s after %d pass(es), %s; the app made %d updates (%d while migrating),"
                + " the table holds %d (sum %d - loaded %d)%n",
            last.status(),
            last.iteration(),
            last.downtime()
                .map(d -> d.toMillis() + " ms downtime")
                .orElse(last.failureReason().orElse("")),
            updates,
            updates - before,
            sum - table.loadedSum(),
            sum,
            table.loadedSum());
        String report = String.join(" ", receiver.expect("VERIFIED", "MISMATCH", "FAILED"));
        int exit = child.waitFor(LINE_TIMEOUT_SECONDS, TimeUnit.SECONDS) ? child.exitValue() : -1;
        return new Result(
            last, updates, updates - before, table.loadedSum(), sum, digest, report, exit);
      } finally {
        child.destroyForcibly();
      }
    }
  }

  /** Starts the receiving JVM with this JVM's {@code java} and class path. */
  private static Process launchReceiver(String uid, PagedMemory memory, Path ca)
      throws IOException {
    return new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            classPath(),
            Receiver.class.getName(),
            uid,
            Integer.toString(memory.pageSize()),
            Integer.toString(memory.pageCount()),
            ca.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  /** The class path of this JVM, or of the class loader that loaded this class (exec:java). */
  private static String classPath() {
    if (TwoJvmStateMigration.class.getClassLoader() instanceof URLClassLoader loader) {
      List<String> entries = new ArrayList<>();
      for (URL url : loader.getURLs()) {
        try {
          entries.add(Path.of(url.toURI()).toString());
        } catch (URISyntaxException e) {
          throw new IllegalStateException("a class path entry is not a file: " + url, e);
        }
      }
      return String.join(File.pathSeparator, entries);
    }
    return System.getProperty("java.class.path");
  }

  private static byte[] keyStoreBytes(EphemeralPki pki) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      pki.keyStore().store(bytes, pki.password());
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot write the node key store", e);
    }
    return bytes.toByteArray();
  }

  /** The sum of every counter of the table. */
  static long sum(PagedMemory table) {
    ByteBuffer block = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    long sum = 0;
    for (long at = 0; at < table.size(); at += block.capacity()) {
      block.clear().limit((int) Math.min(block.capacity(), table.size() - at));
      table.read(at, block);
      block.flip();
      while (block.hasRemaining()) {
        sum += block.getLong();
      }
    }
    return sum;
  }

  /**
   * The application: counters loaded with small random counts, then incremented at {@link
   * #UPDATES_PER_SECOND} by one thread, nine in ten on the first sixty-fourth of the table.
   */
  static final class CounterTable implements AutoCloseable {
    private final PagedMemory memory;
    private final SplittableRandom random;
    private final int counters;
    private final Thread thread = new Thread(this::update, "counter-table-app");
    private final long loadedSum;
    private volatile long updates;
    private volatile boolean running = true;

    CounterTable(PagedMemory memory, long seed) {
      this.memory = memory;
      this.random = new SplittableRandom(seed);
      this.counters = (int) Math.min(Integer.MAX_VALUE, memory.size() / Long.BYTES);
      ByteBuffer block = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      long loaded = 0;
      for (long at = 0; at < memory.size(); at += block.capacity()) {
        block.clear().limit((int) Math.min(block.capacity(), memory.size() - at));
        while (block.hasRemaining()) {
          int count = random.nextInt(1000);
          block.putLong(count);
          loaded += count;
        }
        memory.write(at, block.flip());
      }
      this.loadedSum = loaded;
      thread.setDaemon(true);
    }

    PagedMemory memory() {
      return memory;
    }

    long updates() {
      return updates;
    }

    long loadedSum() {
      return loadedSum;
    }

    void start() {
      thread.start();
    }

    private void update() {
      int hot = Math.max(1, counters / 64);
      long started = System.nanoTime();
      try {
        while (running) {
          long due = (System.nanoTime() - started) * UPDATES_PER_SECOND / 1_000_000_000L;
          while (updates < due && running) {
            long at =
                (long) (random.nextInt(10) > 0 ? random.nextInt(hot) : random.nextInt(counters))
                    * Long.BYTES;
            memory.putLong(at, memory.getLong(at) + 1);
            updates++;
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
      } catch (IllegalStateException closed) {
        // The table was freed after the switch: its state lives on in the receiving JVM.
      }
    }

    /**
     * Stops the application and returns its update count: at the switch the table stays paused, so
     * freeing it ends the update that waits on it, uncounted and not in the table.
     */
    long retire() throws InterruptedException {
      running = false;
      if (memory.isPaused()) {
        memory.close();
      }
      thread.join();
      return updates;
    }

    @Override
    public void close() {
      try {
        retire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      memory.close();
    }
  }

  /** The line protocol with the receiving JVM: its stdin and stdout, each line echoed to out. */
  private static final class Lines implements AutoCloseable {
    private final PrintWriter toChild;
    private final BlockingQueue<String> fromChild = new LinkedBlockingQueue<>();
    private final PrintStream out;

    Lines(Process child, PrintStream out) {
      this.toChild = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8);
      this.out = out;
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader lines = child.inputReader(StandardCharsets.UTF_8)) {
                  for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    fromChild.add(line);
                  }
                } catch (IOException e) {
                  // The child is gone; expect() reports it.
                }
                fromChild.add("EOF");
              },
              "receiver-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    void send(String line) {
      toChild.println(line);
    }

    /** Waits for the child's next line, which must start with one of {@code words}. */
    String[] expect(String... words) throws IOException, InterruptedException {
      String line = fromChild.poll(LINE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (line == null) {
        throw new IOException("the receiving JVM said nothing for " + LINE_TIMEOUT_SECONDS + " s");
      }
      String[] parts = line.split(" ");
      if (!List.of(words).contains(parts[0])) {
        throw new IOException("the receiving JVM said '" + line + "', not " + List.of(words));
      }
      if (!parts[0].equals("READY")) {
        out.println("receiver: " + line);
      }
      return parts;
    }

    @Override
    public void close() {
      toChild.close();
    }
  }

  /**
   * The receiving JVM: {@code Receiver uid pageSize pageCount caPem}; reads the node key store
   * (base64) and its password from stdin, expects the migration, prints {@code READY host port
   * token}, waits for the table and for the sender's {@code SOURCE sha256 sum}, and prints {@code
   * VERIFIED}, {@code MISMATCH} or {@code FAILED}; exits 0 only after {@code VERIFIED}.
   */
  public static final class Receiver {
    private Receiver() {}

    /** Runs the receiving side. */
    public static void main(String[] args) throws IOException, InterruptedException {
      String uid = args[0];
      int pageSize = Integer.parseInt(args[1]);
      int pageCount = Integer.parseInt(args[2]);
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      TlsTransport tls = transport(in.readLine(), in.readLine(), Path.of(args[3]));
      String report;
      try (TargetAgent agent =
          TargetAgent.start(
              tls, new InetSocketAddress("127.0.0.1", 0), TransferOptions.DEFAULT_IO_TIMEOUT)) {
        IncomingMigration incoming =
            agent.expect(uid, pageSize, pageCount, () -> PagedMemory.allocate(pageSize, pageCount));
        System.out.printf(
            "READY %s %d %s%n",
            agent.address().getHostString(), agent.address().getPort(), incoming.token());
        System.out.flush();
        report = verify(incoming, in);
      }
      System.out.println(report);
      System.out.flush();
      System.exit(report.startsWith("VERIFIED") ? 0 : 1);
    }

    private static TlsTransport transport(String keyStore, String password, Path ca)
        throws IOException {
      try {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(
            new ByteArrayInputStream(Base64.getDecoder().decode(keyStore)), password.toCharArray());
        return TlsTransport.builder().keyStore(keys, password.toCharArray()).trustPem(ca).build();
      } catch (GeneralSecurityException e) {
        throw new IOException("cannot read the node key store", e);
      }
    }

    /** Waits for the table and the sender's account of it; returns the line to report. */
    private static String verify(IncomingMigration incoming, BufferedReader in)
        throws IOException, InterruptedException {
      PagedMemory table;
      try {
        table = (PagedMemory) incoming.completion().get(LINE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        return "FAILED " + e.getCause().getMessage();
      } catch (TimeoutException e) {
        incoming.cancel();
        return "FAILED no migration arrived within " + LINE_TIMEOUT_SECONDS + " s";
      }
      try (table) {
        String line = in.readLine();
        String[] source = line == null ? new String[] {"EOF"} : line.split(" ");
        if (!source[0].equals("SOURCE")) {
          return "FAILED the sender said '" + line + "'";
        }
        String digest = table.digestHex();
        long sum = sum(table);
        String counts =
            String.format(
                Locale.ROOT,
                "%d counters, sum %d, SHA-256 %s",
                table.size() / Long.BYTES,
                sum,
                digest.substring(0, 16));
        boolean same = digest.equals(source[1]) && sum == Long.parseLong(source[2]);
        return (same ? "VERIFIED " : "MISMATCH ")
            + counts
            + (same ? ", as the sender left them" : "; the sender had sum " + source[2]);
      } catch (UncheckedIOException e) {
        return "FAILED " + e.getMessage();
      }
    }
  }
}
