package dev.livemigration.testkit.model;

import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.core.Scheduler;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * A {@link HypervisorBackend} that computes migrations instead of running them: each session
 * follows pre-copy passes, stop-and-copy, post-copy and throttling from the guest's {@link
 * GuestProfile}, the bandwidth and the elapsed time on the engine's clock, moving no bytes.
 *
 * <p>Pass {@code k + 1} sends what the guest dirtied during pass {@code k} (at most its working
 * set); the guest is paused and the rest sent once that fits the allowed downtime and stopped
 * falling, by the data plane's rule ({@link dev.livemigration.core.SwitchoverPoint}): a local
 * minimum of the expected downtime. After a switch to post-copy every remaining byte is sent
 * exactly once.
 *
 * <p>A sample's {@code dataRemaining} is, as a hypervisor reports it, what the current pass has yet
 * to send; pages the guest dirties join it when the pass ends (or at the switch to post-copy), each
 * page once. It never exceeds {@code dataTotal}: a guest dirtying faster than the link still sees
 * its remainder shrink through the first pass.
 */
public final class ModelBackend implements HypervisorBackend {
  /** The link speed used when a migration's bandwidth is unlimited: 1 GiB/s. */
  public static final long DEFAULT_LINK_SPEED = 1L << 30;

  /** The pause the model charges for the switch to post-copy (QEMU 7.2 measured about 5 ms). */
  public static final Duration POST_COPY_SWITCH_DOWNTIME = Duration.ofMillis(5);

  private final Scheduler clock;
  private final Function<VirtualMachineInstance, GuestProfile> profiles;
  private final long linkSpeed;

  /**
   * Creates a model backend.
   *
   * @param clock the engine's scheduler, whose clock the model follows
   * @param profiles how each VMI dirties memory
   * @param linkSpeed bytes per second when bandwidth is unlimited; positive
   */
  public ModelBackend(
      Scheduler clock, Function<VirtualMachineInstance, GuestProfile> profiles, long linkSpeed) {
    if (linkSpeed <= 0) {
      throw new InvalidValueException("linkSpeed", "must be > 0", Long.toString(linkSpeed));
    }
    this.clock = Objects.requireNonNull(clock, "clock");
    this.profiles = Objects.requireNonNull(profiles, "profiles");
    this.linkSpeed = linkSpeed;
  }

  /** Creates a model backend at {@link #DEFAULT_LINK_SPEED}. */
  public ModelBackend(Scheduler clock, Function<VirtualMachineInstance, GuestProfile> profiles) {
    this(clock, profiles, DEFAULT_LINK_SPEED);
  }

  @Override
  public String id() {
    return "model";
  }

  @Override
  public MigrationSession open(MigrationSpec spec) {
    return new ModelSession(spec, profiles.apply(spec.vmi()), clock, linkSpeed);
  }
}
