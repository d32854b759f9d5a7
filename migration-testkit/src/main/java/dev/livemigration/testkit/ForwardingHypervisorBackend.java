package dev.livemigration.testkit;

import dev.livemigration.api.Condition;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link HypervisorBackend} that forwards every call to another; extend it and override what a
 * test should change, for example to fail or slow down one step. Sessions are forwarded through
 * {@link #session(MigrationSpec, MigrationSession)}, which returns them unchanged unless
 * overridden.
 *
 * <pre>{@code
 * cluster.wrapBackend(backend -> new ForwardingHypervisorBackend(backend) {
 *   @Override
 *   protected MigrationSession session(MigrationSpec spec, MigrationSession session) {
 *     return new ForwardingMigrationSession(session) {
 *       @Override
 *       public void start() {
 *         throw new BackendException("the target's disk is full");
 *       }
 *     };
 *   }
 * });
 * }</pre>
 */
public class ForwardingHypervisorBackend implements HypervisorBackend {
  private final HypervisorBackend delegate;

  /** Creates a backend that forwards to {@code delegate}. */
  public ForwardingHypervisorBackend(HypervisorBackend delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The backend calls are forwarded to. */
  protected final HypervisorBackend delegate() {
    return delegate;
  }

  /**
   * Returns the session the engine gets for {@code spec}: {@code session}, opened by the delegate,
   * unless overridden (for example to wrap it in a {@link ForwardingMigrationSession}).
   */
  protected MigrationSession session(MigrationSpec spec, MigrationSession session) {
    return session;
  }

  @Override
  public String id() {
    return delegate.id();
  }

  @Override
  public MigrationSession open(MigrationSpec spec) {
    return session(spec, delegate.open(spec));
  }

  @Override
  public Optional<MigrationSession> resume(MigrationSpec spec, Map<String, String> resumeData) {
    return delegate.resume(spec, resumeData).map(session -> session(spec, session));
  }

  @Override
  public Optional<Condition> checkMigratable(VirtualMachineInstance vmi) {
    return delegate.checkMigratable(vmi);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
