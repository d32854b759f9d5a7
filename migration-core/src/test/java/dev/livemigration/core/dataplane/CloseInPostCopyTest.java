package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("close() while a guest on the target depends on the link")
class CloseInPostCopyTest {
  @AfterEach
  void noThreadLeft() throws InterruptedException {
    FaultsTest.Leaks.assertNoDataPlaneThreads();
  }

  @Test
  @DisplayName("waits for a healthy post-copy to finish instead of cutting the link")
  void waitsForPostCopy() throws Exception {
    // 3,072 pages, a quarter of them zero: 9 MiB at 1 MiB/s, about 9 s, longer than the I/O
    // timeout + 5 s (6 s) after which close() used to cut the link.
    Duration io = Duration.ofSeconds(1);
    int pages = 3072;
    TcpTransport tcp = new TcpTransport();
    try (PagedMemory source = Guests.random(pages, 31);
        TargetAgent agent = TargetAgent.start(tcp, Transfers.LOOPBACK, io)) {
      IncomingMigration incoming =
          agent.expect("close", 4096, pages, () -> PagedMemory.allocate(4096, pages));
      OutgoingMigration out =
          OutgoingMigration.start(
              source,
              tcp,
              agent.address(),
              "close",
              incoming.token(),
              TransferOptions.defaults().withChannels(1).withIoTimeout(io).withBandwidth(1 << 20));
      out.apply(new Directive.SwitchToPostCopy());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (out.progress().mode() != MigrationMode.POST_COPY
          && !out.completion().isDone()
          && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(10);
      }
      assertThat(out.progress().mode()).isEqualTo(MigrationMode.POST_COPY);
      out.close();
      assertThat(out.completion()).isDone();
      ProgressSample last = out.completion().get();
      assertThat(last.status())
          .as("status, failure: %s", last.failureReason())
          .isEqualTo(ProgressSample.Status.COMPLETED);
      PagedMemory target = (PagedMemory) incoming.completion().get(10, TimeUnit.SECONDS);
      assertThat(target.mismatch(source)).as("no page lost").isEqualTo(-1);
      source.resume();
    }
  }
}
