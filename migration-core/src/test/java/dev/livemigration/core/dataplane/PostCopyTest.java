package dev.livemigration.core.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.core.dataplane.transport.Transports;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Post-copy")
@SuppressWarnings("try") // resources that only need closing, like a busy guest
class PostCopyTest {

  @ParameterizedTest(name = "over {0} with {1} channel(s)")
  @CsvSource({"tcp, 1", "tcp, 3", "mem, 2"})
  @DisplayName(
      "starts the guest on the target at once, pages on demand ahead of the push, sends no page"
          + " twice, and ends byte for byte")
  void demandPaging(String transportId, int channels) throws Exception {
    MigrationTransport transport = Transports.byId(transportId);
    int pages = 2048;
    TransferOptions options =
        TransferOptions.defaults()
            .withChannels(channels)
            .withBandwidth(4 << 20)
            .withIoTimeout(Duration.ofSeconds(10));
    AtomicReference<PagedMemory> made = new AtomicReference<>();
    try (TargetAgent agent = TargetAgent.start(transport, Transfers.LOOPBACK, options.ioTimeout());
        PagedMemory source = Guests.random(pages, 41);
        Guests.Writer writer = new Guests.Writer(source, 4, 16)) {
      IncomingMigration incoming =
          agent.expect(
              "pc",
              4096,
              pages,
              () -> {
                PagedMemory memory = PagedMemory.allocate(4096, pages);
                made.set(memory);
                return memory;
              });
      try (OutgoingMigration out =
          OutgoingMigration.start(
              source, transport, agent.address(), "pc", incoming.token(), options)) {
        out.apply(new Directive.SwitchToPostCopy());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (out.progress().mode() != MigrationMode.POST_COPY
            && !out.completion().isDone()
            && System.nanoTime() < deadline) {
          TimeUnit.MILLISECONDS.sleep(1);
        }
        PagedMemory target = made.get();
        // The guest now runs on the target: touch pages from the end, which the push reaches last.
        long marker = 0x5ca1ab1e;
        CompletableFuture<Void> guest =
            CompletableFuture.runAsync(
                () -> {
                  Random random = new Random(1);
                  for (int i = 0; i < 50; i++) {
                    int page = pages - 1 - random.nextInt(pages / 4);
                    target.read((long) page * 4096, 64);
                  }
                  target.putLong(4096L * (pages - 2) + 16, marker);
                });
        guest.get(30, TimeUnit.SECONDS);

        ProgressSample last = out.completion().get(60, TimeUnit.SECONDS);
        assertThat(last.status())
            .as("%s", last.failureReason())
            .isEqualTo(ProgressSample.Status.COMPLETED);
        assertThat(last.mode()).isEqualTo(MigrationMode.POST_COPY);
        assertThat(last.downtime()).isPresent();
        assertThat(incoming.completion().get(30, TimeUnit.SECONDS)).isSameAs(target);
        assertThat(out.servedRequests()).as("pages fetched on demand").isPositive();
        assertThat(out.sentAfterSwitch())
            .as("no page sent twice after the switch")
            .isEqualTo(out.staleAtSwitch());

        assertThat(target.getLong(4096L * (pages - 2) + 16)).isEqualTo(marker);
        target.putLong(4096L * (pages - 2) + 16, source.getLong(4096L * (pages - 2) + 16));
        assertThat(target.mismatch(source)).isEqualTo(-1);
        target.close();
      }
      source.resume();
    }
  }
}
