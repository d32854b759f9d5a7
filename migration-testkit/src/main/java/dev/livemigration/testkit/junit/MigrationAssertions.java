package dev.livemigration.testkit.junit;

import static org.junit.jupiter.api.Assertions.fail;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.testkit.MemoryHandoff;
import dev.livemigration.testkit.RealBytesCluster;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fluent assertions on migrations and their events, for tests of control planes that embed the
 * engine. The entry points have names of their own, so that they import beside AssertJ's and
 * JUnit's {@code assertThat}; a failed assertion throws an {@link AssertionError} that names the
 * migration and its state.
 *
 * <pre>{@code
 * import static dev.livemigration.testkit.junit.MigrationAssertions.assertThatEvents;
 * import static dev.livemigration.testkit.junit.MigrationAssertions.assertThatMigration;
 * import static org.assertj.core.api.Assertions.assertThat;
 *
 * assertThatMigration(handle).succeeded().endedInMode(MigrationMode.POST_COPY).usedPolicy("hpc");
 * assertThatEvents(cluster.events()).eachMigrationEndsOnce().neverExceeds(5, 2);
 * assertThatMigration(handle).succeedsWithin(Duration.ofMinutes(1)).hasIdenticalMemory(realBytes);
 * assertThatEvents(realBytes.events()).downtimeBelow(Duration.ofMillis(300));
 * assertThat(cluster.events()).hasSize(7);                                  // AssertJ's, as usual
 * }</pre>
 */
public final class MigrationAssertions {
  private MigrationAssertions() {}

  /** Starts assertions on a migration's handle. */
  public static HandleAssert assertThatMigration(MigrationHandle handle) {
    return new HandleAssert(Objects.requireNonNull(handle, "handle"));
  }

  /** Starts assertions on a sequence of engine events, such as a cluster's {@code events()}. */
  public static EventsAssert assertThatEvents(List<MigrationEvent> events) {
    return new EventsAssert(List.copyOf(events));
  }

  /**
   * Starts assertions on a migration's handle.
   *
   * @deprecated its name clashes with AssertJ's {@code assertThat}; use {@link
   *     #assertThatMigration(MigrationHandle)}
   */
  @Deprecated(since = "0.1.0", forRemoval = true)
  public static HandleAssert assertThat(MigrationHandle handle) {
    return assertThatMigration(handle);
  }

  /**
   * Starts assertions on a sequence of engine events.
   *
   * @deprecated its name clashes with AssertJ's {@code assertThat} for lists; use {@link
   *     #assertThatEvents(List)}
   */
  @Deprecated(since = "0.1.0", forRemoval = true)
  public static EventsAssert assertThat(List<MigrationEvent> events) {
    return assertThatEvents(events);
  }

  /** Assertions on one migration. */
  public static final class HandleAssert {
    private final MigrationHandle handle;

    HandleAssert(MigrationHandle handle) {
      this.handle = handle;
    }

    private MigrationState state() {
      return handle.state();
    }

    private HandleAssert check(boolean holds, String expectation) {
      if (!holds) {
        fail(
            "Expected migration "
                + handle.request().name()
                + " "
                + expectation
                + ", but its"
                + " state is "
                + state());
      }
      return this;
    }

    /** Waits, in real time, until the migration ends and asserts that it succeeded. */
    public HandleAssert succeedsWithin(Duration timeout) {
      try {
        handle.completion().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        fail(
            "Expected migration "
                + handle.request().name()
                + " to end within "
                + timeout
                + ", but it is still "
                + state().phase());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("Interrupted while waiting for migration " + handle.request().name());
      } catch (ExecutionException e) {
        fail("Migration " + handle.request().name() + " completed exceptionally", e.getCause());
      }
      return succeeded();
    }

    /** Asserts that the migration is in this phase now. */
    public HandleAssert isInPhase(MigrationPhase phase) {
      return check(state().phase() == phase, "to be " + phase);
    }

    /** Asserts that the migration succeeded: the guest runs on the target. */
    public HandleAssert succeeded() {
      return check(
          state().phase() == MigrationPhase.SUCCEEDED && state().completed() && !state().failed(),
          "to have succeeded");
    }

    /** Asserts that the migration failed with a reason containing {@code fragment}. */
    public HandleAssert failedWith(String fragment) {
      return check(
          state().failed() && state().failureReason().orElse("").contains(fragment),
          "to have failed with a reason containing '" + fragment + "'");
    }

    /** Asserts that a cancellation stopped the migration in time: the guest stayed put. */
    public HandleAssert wasCancelledInTime() {
      return check(
          state().abortRequested()
              && state().abortStatus().orElse(null) == AbortStatus.SUCCEEDED
              && state().completed()
              && state().failed(),
          "to have been cancelled in time (Abort Status: Succeeded, Completed, Failed)");
    }

    /** Asserts the mode the migration was in at its last sample. */
    public HandleAssert endedInMode(MigrationMode mode) {
      return check(state().mode() == mode, "to be in " + mode);
    }

    /** Asserts that the named policy applied to the migration. */
    public HandleAssert usedPolicy(String policyName) {
      return check(
          state().migrationPolicyName().filter(policyName::equals).isPresent(),
          "to use policy " + policyName);
    }

    /** Asserts that the migration went to this node. */
    public HandleAssert wentTo(String targetNode) {
      return check(
          state().targetNode().filter(targetNode::equals).isPresent(), "to go to " + targetNode);
    }

    /**
     * Asserts that the migration moved the guest's memory intact on a real-bytes cluster: the
     * SHA-256 digest of the target's memory equals the source's, leaving out the pages the guest
     * wrote on the target after it started there.
     */
    public HandleAssert hasIdenticalMemory(RealBytesCluster cluster) {
      Optional<MemoryHandoff> handoff = cluster.handoff(handle);
      if (handoff.isEmpty()) {
        fail(
            "Expected migration "
                + handle.request().name()
                + " to have moved its guest's memory, but it did not complete on the data plane;"
                + " its state is "
                + state());
      }
      MemoryHandoff seen = handoff.orElseThrow();
      if (!seen.identical()) {
        fail(
            "Expected the memory of VMI "
                + seen.namespace()
                + "/"
                + seen.vmiName()
                + " on "
                + seen.targetNode()
                + " to equal what it was on "
                + seen.sourceNode()
                + " (SHA-256 over "
                + (seen.pageCount() - seen.pagesWrittenOnTarget())
                + " pages), but the source's digest is "
                + seen.sourceDigest()
                + " and the target's "
                + seen.targetDigest());
      }
      return this;
    }
  }

  /** Assertions on the events of many migrations. */
  public static final class EventsAssert {
    private final List<MigrationEvent> events;

    EventsAssert(List<MigrationEvent> events) {
      this.events = events;
    }

    /** Asserts that every queued migration has exactly one Succeeded or Failed event. */
    public EventsAssert eachMigrationEndsOnce() {
      Map<String, Integer> ends = new HashMap<>();
      for (MigrationEvent event : events) {
        if (event instanceof MigrationEvent.Queued) {
          ends.putIfAbsent(event.migrationUid(), 0);
        } else if (event instanceof MigrationEvent.Succeeded
            || event instanceof MigrationEvent.Failed) {
          ends.merge(event.migrationUid(), 1, Integer::sum);
        }
      }
      ends.forEach(
          (uid, count) -> {
            if (count != 1) {
              fail(
                  "Expected migration "
                      + uid
                      + " to end exactly once, but it ended "
                      + count
                      + " times");
            }
          });
      return this;
    }

    /**
     * Asserts that at least one migration succeeded and that each one that did reported, in its
     * last sample, a downtime (the guest's pause at the switch) below {@code max}.
     */
    public EventsAssert downtimeBelow(Duration max) {
      Map<String, ProgressSample> last = new HashMap<>();
      int succeeded = 0;
      for (MigrationEvent event : events) {
        if (event instanceof MigrationEvent.Progress progress) {
          last.put(event.migrationUid(), progress.sample());
        } else if (event instanceof MigrationEvent.Succeeded) {
          succeeded++;
          ProgressSample sample = last.get(event.migrationUid());
          Optional<Duration> downtime = sample == null ? Optional.empty() : sample.downtime();
          if (downtime.isEmpty()) {
            fail(
                "Expected migration "
                    + event.request().name()
                    + " to report its downtime, but its last sample has none: "
                    + sample);
          } else if (downtime.get().compareTo(max) >= 0) {
            fail(
                "Expected migration "
                    + event.request().name()
                    + " to pause its guest for less than "
                    + max
                    + ", but the downtime was "
                    + downtime.get());
          }
        }
      }
      if (succeeded == 0) {
        fail("Expected succeeded migrations with a downtime below " + max + ", but none succeeded");
      }
      return this;
    }

    /**
     * Asserts that, event by event, no more than {@code perCluster} migrations ran at once, and no
     * more than {@code perNode} from one source node (counting from Scheduled to the end).
     */
    public EventsAssert neverExceeds(int perCluster, int perNode) {
      Map<String, String> sourceOf = new HashMap<>();
      Map<String, Integer> running = new HashMap<>();
      int total = 0;
      for (MigrationEvent event : events) {
        if (event instanceof MigrationEvent.Scheduled scheduled) {
          sourceOf.put(event.migrationUid(), scheduled.sourceNode());
          total++;
          int onNode = running.merge(scheduled.sourceNode(), 1, Integer::sum);
          if (total > perCluster || onNode > perNode) {
            fail(
                "Expected at most "
                    + perCluster
                    + " migrations per cluster and "
                    + perNode
                    + " per node, but "
                    + total
                    + " ran in the cluster and "
                    + onNode
                    + " from "
                    + scheduled.sourceNode()
                    + " at "
                    + event.timestamp());
          }
        } else if ((event instanceof MigrationEvent.Succeeded
                || event instanceof MigrationEvent.Failed)
            && sourceOf.containsKey(event.migrationUid())) {
          total--;
          running.merge(sourceOf.remove(event.migrationUid()), -1, Integer::sum);
        }
      }
      return this;
    }
  }
}
