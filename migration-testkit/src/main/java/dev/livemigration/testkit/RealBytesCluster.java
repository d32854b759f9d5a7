package dev.livemigration.testkit;

import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.Volume;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.spi.MigratableMemory;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.ReceivingMemory;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.core.dataplane.DataPlaneBackend;
import dev.livemigration.core.dataplane.PagedMemory;
import dev.livemigration.testkit.model.GuestProfile;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated cluster whose guests have real memory and whose migrations move it: each VMI is
 * backed by a {@link SimulatedGuest} (off-heap bytes, writer threads dirtying them), each node
 * receives on a target agent of the built-in data plane listening on its loopback address, and the
 * engine runs in real time on a {@link DataPlaneBackend}. When a migration completes, the guest's
 * writers follow it to the target, the source memory is freed, and the cluster records a {@link
 * MemoryHandoff} that compares the two memories.
 *
 * <pre>{@code
 * try (RealBytesCluster cluster = RealBytesCluster.withNodes(2)) {
 *   cluster.addVmi("vmi-fedora", vmi -> vmi.memory("64Mi").dirtyRate("4Mi").pattern(DirtyPattern.UNIFORM));
 *   MigrationHandle handle = cluster.engine().migrate(VirtualMachineInstanceMigration.of("job", "vmi-fedora"));
 *   assertThat(handle).succeedsWithin(Duration.ofMinutes(1)).hasIdenticalMemory(cluster);
 * }
 * }</pre>
 *
 * <p>Agents listen on ephemeral ports of the node's address ({@code 127.0.0.N}, or {@code
 * 127.0.1.N} when the configuration names a migration network). Migrations use mutual TLS with a
 * throwaway {@link dev.livemigration.core.dataplane.transport.EphemeralPki}, made on first use,
 * unless the configuration sets {@code disableTLS} (then plain TCP). Every VMI's memory is
 * allocated, so keep sizes within the machine's memory: a migration needs the memory twice. {@link
 * #close()} stops every writer, agent and engine thread, closes every socket and frees the memory.
 */
public final class RealBytesCluster extends AbstractSimulatedCluster<RealBytesCluster> {
  private static final Logger LOG = LoggerFactory.getLogger(RealBytesCluster.class);
  private static final int PAGE = PagedMemory.DEFAULT_PAGE_SIZE;

  private final OnDemandTls tls = new OnDemandTls();
  private final DataPlaneBackend backend;
  private final Map<String, SimulatedGuest> guests = new ConcurrentHashMap<>();
  private final Map<String, PagedMemory> homes = new ConcurrentHashMap<>();
  private final Map<String, PagedMemory> running = new ConcurrentHashMap<>();
  private final Map<String, PagedMemory> disks = new ConcurrentHashMap<>();
  private final Map<String, ArrivingMemory> arrivals = new ConcurrentHashMap<>();
  private final Map<String, MemoryHandoff> handoffs = new ConcurrentHashMap<>();
  private volatile Duration sampleInterval = MigrationEngines.DEFAULT_SAMPLE_INTERVAL;

  private RealBytesCluster(int nodes) {
    super(nodes);
    this.backend = DataPlaneBackend.builder().port(0).tls(tls).targetMemory(this::arriving).build();
  }

  /**
   * Returns a cluster with {@code count} nodes named {@code node01}, {@code node02}, …, each with a
   * target agent that starts when the first migration comes to it.
   *
   * @throws InvalidValueException if {@code count} is not between 1 and 250
   */
  public static RealBytesCluster withNodes(int count) {
    return new RealBytesCluster(count);
  }

  @Override
  RealBytesCluster self() {
    return this;
  }

  /**
   * Sets how often the engine samples running migrations, in real time; 1 second (the engine's
   * default) unless set. Shorter makes tests end sooner after their migrations. Before {@link
   * #engine()}.
   */
  public RealBytesCluster sampleInterval(Duration interval) {
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new InvalidValueException("sampleInterval", "must be positive", interval.toString());
    }
    requireNoEngine("sampleInterval");
    this.sampleInterval = interval;
    return this;
  }

  @Override
  void wire(MigrationEngines.Builder engine) {
    // The engine makes its own real-time scheduler, and closes it (waiting for running
    // migrations) and the backend when it is closed.
    engine.backend(wrapped(backend)).sampleInterval(sampleInterval);
  }

  /** The data plane the migrations run on; it holds each VMI's memory where it runs now. */
  public DataPlaneBackend backend() {
    return backend;
  }

  /** Returns the guest of a VMI of the default namespace. */
  public SimulatedGuest guest(String vmiName) {
    return guest("default", vmiName);
  }

  /** Returns the guest of VMI {@code namespace/name}. */
  public SimulatedGuest guest(String namespace, String name) {
    SimulatedGuest guest = guests.get(key(namespace, name));
    if (guest == null) {
      throw new IllegalArgumentException("no VMI named " + key(namespace, name));
    }
    return guest;
  }

  /** Returns the memory a VMI of the default namespace runs on now: its target's after a move. */
  public PagedMemory memory(String vmiName) {
    return memory("default", vmiName);
  }

  /** Returns the memory VMI {@code namespace/name} runs on now. */
  public PagedMemory memory(String namespace, String name) {
    guest(namespace, name);
    return running.get(key(namespace, name));
  }

  /** Returns what the cluster saw when this migration completed, if it did. */
  public Optional<MemoryHandoff> handoff(MigrationHandle handle) {
    return Optional.ofNullable(handoffs.get(handle.uid()));
  }

  /** Every handoff so far, in no particular order. */
  public List<MemoryHandoff> handoffs() {
    return new ArrayList<>(handoffs.values());
  }

  /**
   * Waits, in real time, until every migration the engine knows has ended.
   *
   * @return whether they all ended within {@code timeout}
   */
  public boolean awaitIdle(Duration timeout) {
    CompletableFuture<?>[] all =
        engine().migrations().stream()
            .map(MigrationHandle::completion)
            .toArray(CompletableFuture[]::new);
    try {
      CompletableFuture.allOf(all).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  // ---------------------------------------------------------------- guests

  @Override
  void placed(VirtualMachineInstance vmi, GuestProfile profile) {
    String key = key(vmi.namespace(), vmi.name());
    long bytes = vmi.memory().bytes();
    if (bytes <= 0 || bytes % PAGE != 0) {
      throw new InvalidValueException(
          "vmis[" + key + "].memory",
          "must be a positive multiple of 4Ki for a guest with real memory",
          "'" + vmi.memory() + "'");
    }
    SimulatedGuest.Builder builder =
        SimulatedGuest.builder()
            .memory(bytes)
            .dirtyRate(profile.dirtyRate())
            .pattern(DirtyPattern.of(profile.spread()))
            .seed(key.hashCode());
    if (profile.workingSet() > 0) {
      builder.workingSet(profile.workingSet());
    }
    SimulatedGuest guest = builder.build();
    SimulatedGuest replaced = guests.put(key, guest);
    if (replaced != null) {
      replaced.close();
      closeQuietly(homes.remove(key));
    }
    homes.put(key, guest.memory());
    running.put(key, guest.memory());
    guest.follow(() -> running.getOrDefault(key, guest.memory()));
    backend.register(vmi.namespace(), vmi.name(), guest.memory());
    for (Volume volume : vmi.volumes()) {
      if (volume.type().isNodeLocal()) {
        long size = Math.max(PAGE, (volume.size().bytes() + PAGE - 1) / PAGE * PAGE);
        PagedMemory disk = PagedMemory.allocate(size);
        SimulatedGuest.fill(disk, (key + "#" + volume.name()).hashCode());
        closeQuietly(disks.put(key + "#" + volume.name(), disk));
        backend.registerDisk(vmi.namespace(), vmi.name(), volume.name(), disk);
      }
    }
    guest.start();
  }

  /** The target memory of a migration: the guest's memory is watched, its disks are plain. */
  private ReceivingMemory arriving(MigrationSpec spec, int pageSize, int pageCount) {
    PagedMemory memory = PagedMemory.allocate(pageSize, pageCount);
    ArrivingMemory arriving = new ArrivingMemory(spec, memory, this::activated);
    // The data plane makes the guest's memory first, then one memory per disk.
    return arrivals.putIfAbsent(spec.migrationUid(), arriving) == null ? arriving : memory;
  }

  /** The guest starts on the target: its writers go there and the writes are logged. */
  private void activated(ArrivingMemory arrived) {
    VirtualMachineInstance vmi = arrived.spec().vmi();
    arrived.memory().startDirtyLog();
    running.put(key(vmi.namespace(), vmi.name()), arrived.memory());
    LOG.debug(
        "The guest of VMI {}/{} runs on {}{}",
        vmi.namespace(),
        vmi.name(),
        arrived.spec().target().name(),
        arrived.postCopy() ? " in post-copy" : "");
  }

  @Override
  void migrated(VirtualMachineInstance vmi, String targetNode) {
    String key = key(vmi.namespace(), vmi.name());
    Optional<MigratableMemory> now = backend.memory(vmi.namespace(), vmi.name());
    if (now.isEmpty() || !(now.get() instanceof ArrivingMemory arrived)) {
      LOG.warn("VMI {} migrated to {} but the data plane holds no target memory", key, targetNode);
      return;
    }
    PagedMemory source = homes.get(key);
    PagedMemory target = arrived.memory();
    running.put(key, target);
    target.pause();
    try {
      BitSet written = target.fetchDirtyPages();
      target.stopDirtyLog();
      MigrationSpec spec = arrived.spec();
      handoffs.put(
          spec.migrationUid(),
          new MemoryHandoff(
              spec.migrationUid(),
              vmi.namespace(),
              vmi.name(),
              spec.source().name(),
              targetNode,
              arrived.postCopy(),
              digest(source, written),
              digest(target, written),
              written.cardinality(),
              target.pageCount()));
    } finally {
      target.resume();
    }
    homes.put(key, target);
    // Frees the source; a writer still waiting on it wakes up and goes on on the target.
    closeQuietly(source);
    for (Volume volume : vmi.volumes()) {
      backend
          .disk(vmi.namespace(), vmi.name(), volume.name())
          .filter(PagedMemory.class::isInstance)
          .map(PagedMemory.class::cast)
          .ifPresent(
              disk -> {
                PagedMemory old = disks.put(key + "#" + volume.name(), disk);
                if (old != disk) {
                  closeQuietly(old);
                }
              });
    }
  }

  @Override
  void ended(MigrationEvent event) {
    arrivals.remove(event.migrationUid());
  }

  /** SHA-256 over the pages of {@code memory} not in {@code skip}, in order. */
  private static String digest(PagedMemory memory, BitSet skip) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
    ByteBuffer page = ByteBuffer.allocateDirect(memory.pageSize());
    for (int index = 0; index < memory.pageCount(); index++) {
      if (!skip.get(index)) {
        page.clear();
        memory.readPage(index, page);
        sha.update(page.flip());
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static void closeQuietly(@Nullable PagedMemory memory) {
    if (memory != null) {
      memory.close();
    }
  }

  @Override
  void release() {
    backend.close();
    // Freeing the memories first wakes writers that wait on a paused one, so they end at once.
    homes.values().forEach(PagedMemory::close);
    running.values().forEach(PagedMemory::close);
    disks.values().forEach(PagedMemory::close);
    arrivals.values().forEach(arrived -> arrived.memory().close());
    guests.values().forEach(SimulatedGuest::close);
    tls.close();
    guests.clear();
    homes.clear();
    running.clear();
    disks.clear();
    arrivals.clear();
  }
}
