package dev.livemigration.testkit.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.Node;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.ProgressSample.Status;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.TargetEndpoint;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link HypervisorBackend} keeps with the engine. Extend this class in your
 * backend's tests and provide a backend, guests and a way to let time pass; the tests drive
 * sessions exactly as the engine does.
 *
 * <pre>{@code
 * class MyBackendTest extends HypervisorBackendCompatibilityKit {
 *   protected HypervisorBackend backend() { ... }
 *   protected MigrationSpec migration(Guest guest, MigrationConfiguration configuration) { ... }
 *   protected void await(Duration duration) { ... }
 *   protected boolean runsOnSource(MigrationSpec spec) { ... }
 * }
 * }</pre>
 */
public abstract class HypervisorBackendCompatibilityKit {
  /** The kinds of guest the kit migrates. */
  public enum Guest {
    /** A guest that writes no memory: a migration converges after its first pass. */
    IDLE,
    /**
     * A guest that dirties memory faster than {@link #SLOW} bandwidth can carry it, so that
     * pre-copy alone does not converge.
     */
    BUSY
  }

  /** A bandwidth low enough that a {@link Guest#BUSY} guest cannot converge: 1 MiB/s. */
  public static final Quantity SLOW = Quantity.ofMebibytes(1);

  private HypervisorBackend backend;

  /** Returns the backend under test; called once per test, closed after it. */
  protected abstract HypervisorBackend backend();

  /** Returns a migration of a fresh guest of the given kind, ready for {@code open}. */
  protected abstract MigrationSpec migration(Guest guest, MigrationConfiguration configuration);

  /** Lets {@code duration} pass: advances virtual time, or sleeps for real backends. */
  protected abstract void await(Duration duration);

  /** Returns whether the migrated guest runs on its source node (and nowhere else). */
  protected abstract boolean runsOnSource(MigrationSpec spec);

  /** The longest the kit waits for a migration, in the backend's time; 5 minutes by default. */
  protected Duration patience() {
    return Duration.ofMinutes(5);
  }

  /** How long the kit waits between samples; 1 second by default. */
  protected Duration sampleInterval() {
    return Duration.ofSeconds(1);
  }

  /**
   * Returns a migration of {@code vmi} from {@code node01} ({@code 127.0.0.1}) to {@code node02}
   * ({@code 127.0.0.2}) with a fresh uid, requested by a job named {@code job-<vmi>}: a helper for
   * {@link #migration}.
   */
  protected static MigrationSpec loopbackMigration(
      VirtualMachineInstance vmi, MigrationConfiguration configuration) {
    return new MigrationSpec(
        UUID.randomUUID().toString(),
        VirtualMachineInstanceMigration.of("job-" + vmi.name(), vmi.name()),
        vmi,
        MigrationMethod.LIVE_MIGRATION,
        Node.builder().name("node01").address("127.0.0.1").build(),
        Node.builder().name("node02").address("127.0.0.2").build(),
        configuration);
  }

  private HypervisorBackend theBackend() {
    if (backend == null) {
      backend = backend();
    }
    return backend;
  }

  @AfterEach
  void closeBackend() {
    if (backend != null) {
      backend.close();
      backend = null;
    }
  }

  private static MigrationConfiguration configuration(Quantity bandwidth, boolean postCopy) {
    return MigrationConfiguration.builder()
        .bandwidthPerMigration(bandwidth)
        .allowPostCopy(postCopy)
        .allowAutoConverge(true)
        .disableTLS(true)
        .build();
  }

  private ProgressSample sampleUntil(MigrationSession session, Predicate<ProgressSample> done) {
    long rounds = Math.max(1, patience().toNanos() / sampleInterval().toNanos());
    ProgressSample sample = session.sample();
    for (long i = 0; i < rounds && !done.test(sample); i++) {
      await(sampleInterval());
      sample = session.sample();
    }
    if (!done.test(sample)) {
      fail("the migration did not get there within " + patience() + "; last sample " + sample);
    }
    return sample;
  }

  private MigrationSession started(MigrationSpec spec) {
    MigrationSession session = theBackend().open(spec);
    TargetEndpoint endpoint = session.prepareTarget();
    assertFalse(endpoint.address().isBlank(), "the target reports its address");
    session.start();
    return session;
  }

  @Test
  @DisplayName("an idle guest migrates: samples move forward until the job completes")
  void idleGuestCompletes() {
    MigrationSpec spec = migration(Guest.IDLE, configuration(Quantity.ZERO, false));
    try (MigrationSession session = started(spec)) {
      ProgressSample first = session.sample();
      assertTrue(first.status() != Status.FAILED, "a fresh migration does not fail: " + first);
      ProgressSample last = sampleUntil(session, s -> s.status() != Status.ACTIVE);
      assertEquals(Status.COMPLETED, last.status(), "the job completes: " + last);
      assertTrue(last.dataProcessed() > 0, "data was moved: " + last);
      assertTrue(last.elapsed().compareTo(first.elapsed()) >= 0, "elapsed time never goes back");
      assertFalse(runsOnSource(spec), "the guest left its source");
    }
  }

  @Test
  @DisplayName("the target reports where it listens")
  void targetReportsEndpoint() {
    MigrationSpec spec = migration(Guest.IDLE, configuration(Quantity.ZERO, false));
    try (MigrationSession session = theBackend().open(spec)) {
      TargetEndpoint endpoint = session.prepareTarget();
      assertFalse(endpoint.address().isBlank(), "an address");
      assertFalse(endpoint.ports().isEmpty(), "at least one port");
      assertFalse(endpoint.targetPod().isBlank(), "a receiving process");
    }
  }

  @Test
  @DisplayName("an abort in pre-copy fails the job and leaves the guest on its source")
  void abortKeepsGuestOnSource() {
    MigrationSpec spec = migration(Guest.BUSY, configuration(SLOW, false));
    try (MigrationSession session = started(spec)) {
      await(sampleInterval());
      assertEquals(Status.ACTIVE, session.sample().status(), "a busy guest is still migrating");
      session.abort();
      ProgressSample last = sampleUntil(session, s -> s.status() != Status.ACTIVE);
      assertEquals(Status.FAILED, last.status(), "the aborted job fails: " + last);
      assertTrue(last.failureReason().isPresent(), "with a reason");
      session.abort();
      assertEquals(Status.FAILED, session.sample().status(), "a second abort changes nothing");
    }
    assertTrue(runsOnSource(spec), "the guest still runs on its source");
  }

  @Test
  @DisplayName("a busy guest does not converge on a slow link, and the job stays active")
  void busyGuestDoesNotConverge() {
    MigrationSpec spec = migration(Guest.BUSY, configuration(SLOW, false));
    try (MigrationSession session = started(spec)) {
      for (int i = 0; i < 3; i++) {
        await(sampleInterval());
        ProgressSample sample = session.sample();
        assertEquals(Status.ACTIVE, sample.status(), "still running: " + sample);
        assertEquals(MigrationMode.PRE_COPY, sample.mode());
      }
      session.abort();
      sampleUntil(session, s -> s.status() != Status.ACTIVE);
    }
  }

  @Test
  @DisplayName("every directive is accepted while the job runs")
  void directivesAreAccepted() {
    MigrationSpec spec = migration(Guest.BUSY, configuration(SLOW, false));
    try (MigrationSession session = started(spec)) {
      session.apply(new Directive.SetMaxDowntime(Duration.ofMillis(500)));
      session.apply(new Directive.SetBandwidth(2L << 20));
      session.apply(new Directive.Throttle(20));
      session.apply(Directive.CONTINUE);
      await(sampleInterval());
      assertEquals(Status.ACTIVE, session.sample().status());
      session.abort();
      sampleUntil(session, s -> s.status() != Status.ACTIVE);
    }
    assertTrue(runsOnSource(spec), "the guest still runs on its source");
  }

  @Test
  @DisplayName("a switch to post-copy completes a migration that pre-copy could not")
  void postCopyCompletes() {
    MigrationSpec spec = migration(Guest.BUSY, configuration(SLOW, true));
    try (MigrationSession session = started(spec)) {
      await(sampleInterval());
      session.apply(new Directive.SetBandwidth(0));
      session.apply(new Directive.SwitchToPostCopy());
      ProgressSample switched =
          sampleUntil(
              session, s -> s.mode() == MigrationMode.POST_COPY || s.status() != Status.ACTIVE);
      assertEquals(MigrationMode.POST_COPY, switched.mode(), "the job reports post-copy");
      ProgressSample last = sampleUntil(session, s -> s.status() != Status.ACTIVE);
      assertEquals(Status.COMPLETED, last.status(), "post-copy completes: " + last);
    }
    assertFalse(runsOnSource(spec), "the guest left its source");
  }
}
