package dev.livemigration.core.strategy;

import dev.livemigration.api.spi.MigrationStrategy;
import java.util.List;

/**
 * The built-in {@link MigrationStrategy migration strategies}, by factory method or by id.
 *
 * <p>Each is a pure, stateless decision from a {@link dev.livemigration.api.spi.StrategyInput} to a
 * {@link dev.livemigration.api.Directive}. None ever throttles without {@code allowAutoConverge},
 * switches to post-copy without {@code allowPostCopy}, or returns anything but {@code CONTINUE}
 * once the latest sample is in post-copy or its job is no longer active. The completion timeout
 * (switch to post-copy or abort) and the progress timeout are the engine's, not the strategies'.
 *
 * <p>A pass <em>completes</em> when the latest sample's iteration is above the previous sample's
 * and at least 2 (iteration 1 is the first full pass over memory, so reaching 2 completes it).
 */
public final class Strategies {
  /** The throttle auto-converge applies first, to an unthrottled guest: 20 %. */
  public static final int INITIAL_THROTTLE_PERCENT = 20;

  /** How much auto-converge adds to the current throttle at each further step: 10 %. */
  public static final int THROTTLE_INCREMENT_PERCENT = 10;

  /** The most auto-converge ever throttles, and where it then stays: 99 %. */
  public static final int MAX_THROTTLE_PERCENT = 99;

  /**
   * How many passes the hybrid strategy waits for a new low-water mark of the data remaining before
   * it counts pre-copy as stalled: 3.
   */
  public static final int STALL_ITERATIONS = 3;

  private static final MigrationStrategy PRE_COPY = new PreCopy();
  private static final MigrationStrategy POST_COPY = new PostCopy();
  private static final MigrationStrategy AUTO_CONVERGE = new AutoConverge();
  private static final MigrationStrategy HYBRID = new Hybrid();
  private static final MigrationStrategy KUBEVIRT = new KubeVirtDefault(AUTO_CONVERGE, PRE_COPY);
  private static final List<MigrationStrategy> ALL =
      List.of(PRE_COPY, POST_COPY, AUTO_CONVERGE, HYBRID, KUBEVIRT);
  private static final List<String> IDS = ALL.stream().map(MigrationStrategy::id).toList();

  private Strategies() {}

  /** Returns pre-copy ({@code pre-copy}): always {@code CONTINUE}. */
  public static MigrationStrategy preCopy() {
    return PRE_COPY;
  }

  /**
   * Returns post-copy ({@code post-copy}): pre-copy until the first full pass over memory has
   * completed (latest iteration at least 2), then {@code SwitchToPostCopy} on every sample until
   * the mode is post-copy; only when {@code allowPostCopy}, else always {@code CONTINUE}.
   */
  public static MigrationStrategy postCopy() {
    return POST_COPY;
  }

  /**
   * Returns auto-converge ({@code auto-converge}): when {@code allowAutoConverge}, in pre-copy,
   * each time a pass completes and the latest dirty rate is at least the transfer rate (which must
   * be positive), a {@code Throttle} one step above the latest sample's throttle: {@value
   * #INITIAL_THROTTLE_PERCENT} % when it is 0, else it plus {@value #THROTTLE_INCREMENT_PERCENT},
   * never below {@value #INITIAL_THROTTLE_PERCENT} and at most {@value #MAX_THROTTLE_PERCENT}
   * (where it stays). Otherwise {@code CONTINUE}; never throttles in post-copy.
   */
  public static MigrationStrategy autoConverge() {
    return AUTO_CONVERGE;
  }

  /**
   * Returns hybrid ({@code hybrid}): pre-copy that, when {@code allowPostCopy}, returns {@code
   * SwitchToPostCopy} on every pre-copy sample for which either
   *
   * <ul>
   *   <li>pre-copy has stalled: among the history and the latest sample, oldest first, the first
   *       one with the lowest {@code dataRemaining} (the last new low-water mark, each strictly
   *       lower than all before it) is from an iteration at least {@value #STALL_ITERATIONS} below
   *       the latest sample's; or
   *   <li>half the budget is used: {@code elapsed * 2 >= completionTimeout}.
   * </ul>
   *
   * Otherwise, and in post-copy, {@code CONTINUE}.
   */
  public static MigrationStrategy hybrid() {
    return HYBRID;
  }

  /**
   * Returns KubeVirt's behaviour for the configuration alone ({@code kubevirt}): {@link
   * #autoConverge()} when {@code allowAutoConverge}, else {@link #preCopy()}. The switch to
   * post-copy at the completion timeout, when {@code allowPostCopy}, is left to the engine.
   */
  public static MigrationStrategy kubeVirtDefault() {
    return KUBEVIRT;
  }

  /**
   * Returns the built-in strategy with the given id.
   *
   * @throws IllegalArgumentException if no built-in has that id
   */
  public static MigrationStrategy byId(String id) {
    for (MigrationStrategy strategy : ALL) {
      if (strategy.id().equals(id)) {
        return strategy;
      }
    }
    throw new IllegalArgumentException(
        "strategy must be one of " + String.join(", ", IDS) + ", but was '" + id + "'");
  }

  /**
   * Returns the ids of the built-in strategies: {@code pre-copy, post-copy, auto-converge, hybrid,
   * kubevirt}.
   */
  public static List<String> ids() {
    return IDS;
  }
}
