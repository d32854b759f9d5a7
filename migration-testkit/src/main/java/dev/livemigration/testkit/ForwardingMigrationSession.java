package dev.livemigration.testkit;

import dev.livemigration.api.Directive;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.TargetEndpoint;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link MigrationSession} that forwards every call to another; extend it and override the steps
 * a test should change. See {@link ForwardingHypervisorBackend}.
 */
public class ForwardingMigrationSession implements MigrationSession {
  private final MigrationSession delegate;

  /** Creates a session that forwards to {@code delegate}. */
  public ForwardingMigrationSession(MigrationSession delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The session calls are forwarded to. */
  protected final MigrationSession delegate() {
    return delegate;
  }

  @Override
  public TargetEndpoint prepareTarget() {
    return delegate.prepareTarget();
  }

  @Override
  public void start() {
    delegate.start();
  }

  @Override
  public ProgressSample sample() {
    return delegate.sample();
  }

  @Override
  public void apply(Directive directive) {
    delegate.apply(directive);
  }

  @Override
  public void abort() {
    delegate.abort();
  }

  @Override
  public Map<String, String> resumeData() {
    return delegate.resumeData();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
