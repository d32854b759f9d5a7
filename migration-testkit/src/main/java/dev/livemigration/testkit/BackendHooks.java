package dev.livemigration.testkit;

import dev.livemigration.api.Directive;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.BackendException;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.TargetEndpoint;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Runs code before the steps of a backend's migrations, to fail or stall them: an immutable list of
 * hooks that wraps a backend when applied. Hooks run on the engine's thread, before the step
 * reaches the backend; one that throws fails the step as a backend would.
 *
 * <pre>{@code
 * cluster.wrapBackend(BackendHooks.none()
 *     .failing(BackendHooks.Step.START, "the target's disk is full")
 *     .stalling(BackendHooks.Step.SAMPLE, gate)
 *     .before(BackendHooks.Step.OPEN, spec -> opened.add(spec.vmi().name())));
 * }</pre>
 *
 * <p>For anything finer (a step that returns something else, a hook for one VMI's second sample),
 * extend {@link ForwardingHypervisorBackend} and {@link ForwardingMigrationSession}.
 */
public final class BackendHooks implements UnaryOperator<HypervisorBackend> {
  /** A step of a migration as the engine drives a backend. */
  public enum Step {
    /** {@link HypervisorBackend#open(MigrationSpec)}. */
    OPEN,
    /** {@link MigrationSession#prepareTarget()}. */
    PREPARE_TARGET,
    /** {@link MigrationSession#start()}. */
    START,
    /** {@link MigrationSession#sample()}. */
    SAMPLE,
    /** {@link MigrationSession#apply(Directive)}. */
    APPLY,
    /** {@link MigrationSession#abort()}. */
    ABORT,
    /** {@link MigrationSession#close()}. */
    CLOSE
  }

  private static final BackendHooks NONE = new BackendHooks(new EnumMap<>(Step.class));

  private final Map<Step, List<Consumer<MigrationSpec>>> hooks;

  private BackendHooks(Map<Step, List<Consumer<MigrationSpec>>> hooks) {
    this.hooks = hooks;
  }

  /** Returns hooks that change nothing, to add to. */
  public static BackendHooks none() {
    return NONE;
  }

  /**
   * Returns these hooks and {@code hook}, which runs before each call of {@code step} with the spec
   * of the migration; hooks of one step run in the order added.
   */
  public BackendHooks before(Step step, Consumer<MigrationSpec> hook) {
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(hook, "hook");
    Map<Step, List<Consumer<MigrationSpec>>> copy = new EnumMap<>(Step.class);
    copy.putAll(hooks);
    List<Consumer<MigrationSpec>> list = new ArrayList<>(copy.getOrDefault(step, List.of()));
    list.add(hook);
    copy.put(step, List.copyOf(list));
    return new BackendHooks(copy);
  }

  /**
   * Returns these hooks and one that makes every call of {@code step} throw a {@link
   * BackendException}.
   */
  public BackendHooks failing(Step step, String message) {
    Objects.requireNonNull(message, "message");
    return before(
        step,
        spec -> {
          throw new BackendException(message);
        });
  }

  /** Returns these hooks and one that holds every call of {@code step} at {@code gate}. */
  public BackendHooks stalling(Step step, Gate gate) {
    Objects.requireNonNull(gate, "gate");
    return before(step, spec -> gate.pass());
  }

  /** Wraps {@code backend} so that its migrations run these hooks. */
  @Override
  public HypervisorBackend apply(HypervisorBackend backend) {
    return new ForwardingHypervisorBackend(backend) {
      @Override
      public MigrationSession open(MigrationSpec spec) {
        run(Step.OPEN, spec);
        return super.open(spec);
      }

      @Override
      protected MigrationSession session(MigrationSpec spec, MigrationSession session) {
        return new Hooked(session, spec);
      }
    };
  }

  private void run(Step step, MigrationSpec spec) {
    for (Consumer<MigrationSpec> hook : hooks.getOrDefault(step, List.of())) {
      hook.accept(spec);
    }
  }

  /** A session that runs the hooks before each step. */
  private final class Hooked extends ForwardingMigrationSession {
    private final MigrationSpec spec;

    Hooked(MigrationSession delegate, MigrationSpec spec) {
      super(delegate);
      this.spec = spec;
    }

    @Override
    public TargetEndpoint prepareTarget() {
      run(Step.PREPARE_TARGET, spec);
      return super.prepareTarget();
    }

    @Override
    public void start() {
      run(Step.START, spec);
      super.start();
    }

    @Override
    public ProgressSample sample() {
      run(Step.SAMPLE, spec);
      return super.sample();
    }

    @Override
    public void apply(Directive directive) {
      run(Step.APPLY, spec);
      super.apply(directive);
    }

    @Override
    public void abort() {
      run(Step.ABORT, spec);
      super.abort();
    }

    @Override
    public void close() {
      try {
        run(Step.CLOSE, spec);
      } finally {
        super.close();
      }
    }
  }
}
