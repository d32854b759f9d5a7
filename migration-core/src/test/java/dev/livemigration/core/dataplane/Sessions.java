package dev.livemigration.core.dataplane;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.Node;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Drives one {@link DataPlaneBackend} session the way the engine does (open, prepare the target,
 * start, sample, directives), without the engine: the tests of the data plane's reaction to a spec
 * and to directives need no strategy in between.
 */
final class Sessions {
  private Sessions() {}

  /** A spec that moves the VMI {@code default/name} from node-a to node-b, both on 127.0.0.1. */
  static MigrationSpec spec(String name, PagedMemory memory, MigrationConfiguration configuration) {
    VirtualMachineInstance vmi =
        VirtualMachineInstance.builder()
            .name(name)
            .nodeName("node-a")
            .memory(Quantity.ofBytes(memory.size()))
            .build();
    return new MigrationSpec(
        UUID.randomUUID().toString(),
        VirtualMachineInstanceMigration.of("job-" + name, name),
        vmi,
        MigrationMethod.LIVE_MIGRATION,
        Node.builder().name("node-a").address("127.0.0.1").build(),
        Node.builder().name("node-b").address("127.0.0.1").build(),
        configuration);
  }

  /** Registers the memory, opens the session, prepares the target and starts the migration. */
  static MigrationSession start(
      DataPlaneBackend backend, String name, PagedMemory memory, MigrationConfiguration config) {
    backend.register("default", name, memory);
    MigrationSession session = backend.open(spec(name, memory, config));
    session.prepareTarget();
    session.start();
    return session;
  }

  /**
   * Samples every 10 ms until a sample matches, the migration ends, or 60 s pass (then fails the
   * test); returns the last sample.
   */
  static ProgressSample until(MigrationSession session, Predicate<ProgressSample> wanted)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      ProgressSample sample = session.sample();
      if (wanted.test(sample) || sample.status() != ProgressSample.Status.ACTIVE) {
        return sample;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no wanted sample within 60 s; the last was " + sample);
      }
      Thread.sleep(10);
    }
  }

  /** Polls {@code value} every 10 ms until it matches; fails the test after 60 s. */
  static <T> T poll(java.util.function.Supplier<T> value, Predicate<T> wanted)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      T now = value.get();
      if (wanted.test(now)) {
        return now;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within 60 s; the last value was " + now);
      }
      Thread.sleep(10);
    }
  }

  /** Samples until the migration ends; fails the test after 60 s. */
  static ProgressSample end(MigrationSession session) throws InterruptedException {
    return until(session, s -> false);
  }

  /** A plain-TCP configuration at {@code bandwidth} bytes per second. */
  static MigrationConfiguration.Builder plain(long bandwidth) {
    return MigrationConfiguration.builder()
        .disableTLS(true)
        .bandwidthPerMigration(Quantity.ofBytes(bandwidth));
  }
}
