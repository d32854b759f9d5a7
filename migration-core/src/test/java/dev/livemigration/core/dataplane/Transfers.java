package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.api.spi.ReceivingMemory;
import java.net.InetSocketAddress;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs whole migrations of the data plane for tests: an agent, a source, and the outcome. */
final class Transfers {
  static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

  private Transfers() {}

  /** The outcome of one migration: the source's last sample and the target's memory or failure. */
  record Outcome(ProgressSample last, CompletableFuture<ReceivingMemory> target) {
    PagedMemory targetMemory() throws Exception {
      return (PagedMemory) target.get(30, TimeUnit.SECONDS);
    }

    boolean completed() {
      return last.status() == ProgressSample.Status.COMPLETED;
    }
  }

  /** Migrates {@code source} over {@code transport} and returns the outcome. */
  static Outcome migrate(PagedMemory source, MigrationTransport transport, TransferOptions options)
      throws Exception {
    try (TargetAgent agent = TargetAgent.start(transport, LOOPBACK, options.ioTimeout())) {
      return migrate(source, transport, agent, options, out -> {});
    }
  }

  /** Migrates {@code source} to {@code agent}, calling {@code during} once it started. */
  static Outcome migrate(
      PagedMemory source,
      MigrationTransport transport,
      TargetAgent agent,
      TransferOptions options,
      ThrowingConsumer<OutgoingMigration> during)
      throws Exception {
    String uid = UUID.randomUUID().toString();
    int pageSize = source.pageSize();
    int pageCount = source.pageCount();
    IncomingMigration incoming =
        agent.expect(uid, pageSize, pageCount, () -> PagedMemory.allocate(pageSize, pageCount));
    try (OutgoingMigration out =
        OutgoingMigration.start(
            source, transport, agent.address(), uid, incoming.token(), options)) {
      during.accept(out);
      ProgressSample last = out.completion().get(60, TimeUnit.SECONDS);
      CompletableFuture<ReceivingMemory> target = incoming.completion();
      try {
        target.get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // Reported through the outcome.
      }
      return new Outcome(last, target);
    }
  }

  /** Asserts the migration completed and the target holds exactly the source's bytes. */
  static PagedMemory assertIdentical(Outcome outcome, PagedMemory source) throws Exception {
    assertThat(outcome.last().status())
        .as("status, failure: %s", outcome.last().failureReason())
        .isEqualTo(ProgressSample.Status.COMPLETED);
    PagedMemory target = outcome.targetMemory();
    assertThat(target.mismatch(source)).as("first differing byte").isEqualTo(-1);
    assertThat(target.digestHex()).isEqualTo(source.digestHex());
    return target;
  }

  @FunctionalInterface
  interface ThrowingConsumer<T> {
    void accept(T value) throws Exception;
  }
}
