package dev.livemigration.jdbc;

import dev.livemigration.api.Directive;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.TargetEndpoint;
import dev.livemigration.testkit.ForwardingHypervisorBackend;
import dev.livemigration.testkit.ForwardingMigrationSession;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A backend whose sessions print {@code SESSION-OVERLAP uid call busy-call} when the engine calls a
 * session while another call on it is in flight, and {@code SESSION-AFTER-CLOSE uid call} when it
 * calls a session it closed: the engine promises one call at a time per session.
 */
final class WatchedBackend extends ForwardingHypervisorBackend {
  private final PrintStream out;

  WatchedBackend(HypervisorBackend delegate, PrintStream out) {
    super(delegate);
    this.out = out;
  }

  @Override
  protected MigrationSession session(MigrationSpec spec, MigrationSession session) {
    return new Watched(spec.migrationUid(), session);
  }

  private final class Watched extends ForwardingMigrationSession {
    private final String uid;
    private final AtomicReference<String> busy = new AtomicReference<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    Watched(String uid, MigrationSession delegate) {
      super(delegate);
      this.uid = uid;
    }

    private <T> T call(String name, Supplier<T> call) {
      if (closed.get()) {
        out.println("SESSION-AFTER-CLOSE " + uid + " " + name);
      }
      String other = busy.getAndSet(name);
      if (other != null) {
        out.println("SESSION-OVERLAP " + uid + " " + name + " " + other);
      }
      try {
        return call.get();
      } finally {
        busy.compareAndSet(name, null);
      }
    }

    @Override
    public TargetEndpoint prepareTarget() {
      return call("prepareTarget", super::prepareTarget);
    }

    @Override
    public void start() {
      call("start", () -> run(super::start));
    }

    @Override
    public ProgressSample sample() {
      return call("sample", super::sample);
    }

    @Override
    public void apply(Directive directive) {
      call("apply", () -> run(() -> super.apply(directive)));
    }

    @Override
    public void abort() {
      call("abort", () -> run(super::abort));
    }

    @Override
    public void close() {
      call("close", () -> run(super::close));
      closed.set(true);
    }

    private static Void run(Runnable action) {
      action.run();
      return null;
    }
  }
}
