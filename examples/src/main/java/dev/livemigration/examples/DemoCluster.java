package dev.livemigration.examples;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.OperatingSystemMXBean;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.Node;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.event.MigrationListener;
import dev.livemigration.api.spi.MigratableMemory;
import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.core.dataplane.DataPlaneBackend;
import dev.livemigration.core.dataplane.LinkBreaker;
import dev.livemigration.core.dataplane.PagedMemory;
import dev.livemigration.core.dataplane.transport.EphemeralPki;
import dev.livemigration.core.dataplane.transport.Transports;
import dev.livemigration.examples.text.Units;
import dev.livemigration.testkit.InMemoryInventory;
import dev.livemigration.testkit.SimulatedGuest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.jspecify.annotations.Nullable;

/**
 * What the demo migrates with: two nodes on 127.0.0.1, a guest dirtying memory on the first, the
 * built-in data plane (its target agent on an ephemeral port, over TLS with a throwaway PKI unless
 * TLS is off) and an engine wired to all of it. {@link #close()} stops and frees everything.
 */
final class DemoCluster implements AutoCloseable {
  static final String NAMESPACE = "default";
  static final String VMI = "vmi-demo";
  static final String SOURCE_NODE = "node-a";
  static final String TARGET_NODE = "node-b";

  /** How often the engine samples progress, for a lively progress bar: 250 ms. */
  static final Duration SAMPLE_INTERVAL = Duration.ofMillis(250);

  /** Direct memory kept free for the data plane's buffers besides the two memories: 64 MiB. */
  private static final long BUFFER_ALLOWANCE = 64L << 20;

  private final @Nullable EphemeralPki pki;
  private final SimulatedGuest guest;
  private final DataPlaneBackend backend;
  private final @Nullable LinkBreaker breaker;
  private final InMemoryInventory inventory = new InMemoryInventory();
  private final MigrationEngine engine;

  /**
   * Makes the PKI (with TLS; in the background while the guest's memory is filled), fills the
   * guest's memory and starts the engine; the guest does not run yet.
   *
   * @throws IOException if the PKI cannot be made
   */
  DemoCluster(DemoSettings settings, MigrationListener listener) throws IOException {
    FutureTask<EphemeralPki> making = new FutureTask<>(EphemeralPki::create);
    if (settings.tls()) {
      Thread thread = new Thread(making, "demo-pki");
      thread.setDaemon(true);
      thread.start();
    }
    SimulatedGuest madeGuest = null;
    EphemeralPki madePki = null;
    boolean built = false;
    try {
      madeGuest =
          SimulatedGuest.builder()
              .memory(settings.memory())
              .dirtyRate(settings.dirtyRate())
              .build();
      DataPlaneBackend.Builder data = DataPlaneBackend.builder().port(0);
      MigrationTransport transport = null;
      if (settings.tls()) {
        madePki = await(making);
        transport = madePki.transport();
        data.tls(transport);
      }
      if (settings.breakLinkAfter() != null) {
        // --break-link-after: every connection goes through the data plane's fault-injection
        // hook, which the demo uses once to break them.
        this.breaker = new LinkBreaker(transport != null ? transport : Transports.byId("tcp"));
        data.transport(breaker);
      } else {
        this.breaker = null;
      }
      this.backend = data.build();
      backend.register(NAMESPACE, VMI, madeGuest.memory());
      inventory
          .add(Node.builder().name(SOURCE_NODE).address("127.0.0.1").build())
          .add(Node.builder().name(TARGET_NODE).address("127.0.0.1").build())
          .add(
              VirtualMachineInstance.builder()
                  .namespace(NAMESPACE)
                  .name(VMI)
                  .nodeName(SOURCE_NODE)
                  .memory(Quantity.ofBytes(settings.memory()))
                  .build());
      this.engine =
          MigrationEngines.builder()
              .configuration(settings.configuration())
              .strategy(settings.migrationStrategy())
              .backend(backend)
              .inventory(inventory)
              .sampleInterval(SAMPLE_INTERVAL)
              .listener(listener)
              .build();
      built = true;
    } finally {
      if (!built) {
        if (madeGuest != null) {
          madeGuest.close();
        }
        if (settings.tls()) {
          // Wait for a PKI still in the making, so that its directory is deleted too.
          closeQuietly(madePki != null ? madePki : madeOrNull(making));
        }
      }
    }
    this.pki = madePki;
    this.guest = madeGuest;
  }

  /** The hook that breaks the migration's links, with {@code --break-link-after}. */
  Optional<LinkBreaker> linkBreaker() {
    return Optional.ofNullable(breaker);
  }

  private static EphemeralPki await(FutureTask<EphemeralPki> making) throws IOException {
    try {
      return making.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while making the PKI");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException("the PKI could not be made", e.getCause());
    }
  }

  private static @Nullable EphemeralPki madeOrNull(FutureTask<EphemeralPki> making) {
    try {
      return making.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException e) {
      return null;
    }
  }

  private static void closeQuietly(@Nullable EphemeralPki pki) {
    if (pki != null) {
      pki.close();
    }
  }

  /**
   * Returns why this JVM cannot hold a guest of {@code memory} bytes twice (source and target), or
   * null if it can: the direct-memory limit and the machine's memory.
   */
  static @Nullable String roomFor(long memory) {
    long needed = 2 * memory + BUFFER_ALLOWANCE;
    long limit = directMemoryLimit();
    long used =
        ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
            .filter(pool -> pool.getName().equals("direct"))
            .mapToLong(BufferPoolMXBean::getMemoryUsed)
            .sum();
    if (needed > limit - used) {
      return "must fit twice (source and target, plus "
          + Units.bytes(BUFFER_ALLOWANCE)
          + " of buffers) in the "
          + Units.bytes(Math.max(0, limit - used))
          + " of direct memory this JVM may still allocate; raise -XX:MaxDirectMemorySize (in"
          + " .mvn/jvm.config for mvn exec:java) or ask for less";
    }
    long physical =
        ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class).getTotalMemorySize();
    if (physical > 0 && needed > physical) {
      return "must fit twice (source and target) in this machine's "
          + Units.bytes(physical)
          + " of memory";
    }
    return null;
  }

  /** {@code -XX:MaxDirectMemorySize}, or the heap's limit when it is not set (the JDK's rule). */
  private static long directMemoryLimit() {
    try {
      String value =
          ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
              .getVMOption("MaxDirectMemorySize")
              .getValue();
      long set = Long.parseLong(value);
      return set > 0 ? set : Runtime.getRuntime().maxMemory();
    } catch (IllegalArgumentException e) {
      return Runtime.getRuntime().maxMemory();
    }
  }

  SimulatedGuest guest() {
    return guest;
  }

  /** The memory the VMI runs on now, as the data plane records it. */
  PagedMemory currentMemory() {
    return (PagedMemory)
        backend
            .memory(NAMESPACE, VMI)
            .orElseThrow(() -> new IllegalStateException("no memory registered for " + VMI));
  }

  /** The node the VMI runs on now, as the inventory records it. */
  String currentNode() {
    return inventory.find(NAMESPACE, VMI).map(VirtualMachineInstance::nodeName).orElse("nowhere");
  }

  MigrationEngine engine() {
    return engine;
  }

  /**
   * Stops the engine (and with it the data plane's agents), the guest's writers, frees both
   * memories and deletes the PKI. A writer blocked on a source paused at the switch is released by
   * freeing that memory: the source is gone once the guest runs on the target.
   */
  @Override
  public void close() {
    engine.close();
    PagedMemory source = guest.memory();
    MigratableMemory current = backend.memory(NAMESPACE, VMI).orElse(null);
    if (source.isPaused()) {
      source.close();
    }
    guest.close();
    if (current instanceof PagedMemory target && target != source) {
      target.close();
    }
    if (pki != null) {
      pki.close();
    }
  }
}
