package dev.livemigration.examples.bench;

import dev.livemigration.api.ProgressSample;
import dev.livemigration.core.dataplane.IncomingMigration;
import dev.livemigration.core.dataplane.OutgoingMigration;
import dev.livemigration.core.dataplane.PagedMemory;
import dev.livemigration.core.dataplane.TargetAgent;
import dev.livemigration.core.dataplane.TransferOptions;
import dev.livemigration.core.dataplane.transport.TcpTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The data-plane benchmark's downtime and convergence sections: a guest that dirties memory at a
 * set rate, migrated with the downtime limit and steered like the strategies, over loopback.
 */
final class DowntimeAndConvergence {
  private DowntimeAndConvergence() {}

  /** A guest that dirties random pages at a steady rate (one long per page written). */
  private static final class DirtyingGuest implements AutoCloseable {
    private final Thread thread;
    private volatile boolean stop;

    DirtyingGuest(PagedMemory memory, long bytesPerSecond) {
      long pagesPerSecond = Math.max(1, bytesPerSecond / memory.pageSize());
      thread =
          new Thread(
              () -> {
                java.util.SplittableRandom random = new java.util.SplittableRandom(7);
                long started = System.nanoTime();
                long written = 0;
                try {
                  while (!stop) {
                    long due = (System.nanoTime() - started) * pagesPerSecond / 1_000_000_000L;
                    while (written < due && !stop) {
                      long page = random.nextInt(memory.pageCount());
                      memory.putLong(page * memory.pageSize() + 8 * random.nextInt(8), written++);
                    }
                    TimeUnit.MICROSECONDS.sleep(500);
                  }
                } catch (InterruptedException | IllegalStateException e) {
                  // Stopped.
                }
              },
              "bench-dirtying-guest");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void close() {
      stop = true;
      thread.interrupt();
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private record Run(
      boolean completed,
      String mode,
      double seconds,
      long downtimeMillis,
      double sentPerSize,
      long passes,
      int throttle) {}

  /**
   * Migrates a fresh guest that dirties memory at {@code dirtyRate} under a bandwidth limit,
   * steering like a strategy: {@code pre-copy} never steers (gives up after {@code giveUp}), {@code
   * auto-converge} throttles 10 points more each pass that did not converge, {@code post-copy}
   * switches after three passes.
   */
  @SuppressWarnings("try")
  private static Run steered(
      long mib, long bandwidth, long dirtyRate, String strategy, java.time.Duration giveUp)
      throws Exception {
    TcpTransport tcp = new TcpTransport();
    TransferOptions options = TransferOptions.defaults().withBandwidth(bandwidth);
    try (PagedMemory guest = DataPlaneBenchmark.randomGuest(mib << 20);
        DirtyingGuest writer = new DirtyingGuest(guest, dirtyRate);
        TargetAgent agent =
            TargetAgent.start(tcp, DataPlaneBenchmark.LOOPBACK, options.ioTimeout())) {
      String uid = UUID.randomUUID().toString();
      IncomingMigration incoming = DataPlaneBenchmark.expect(agent, uid, guest);
      long started = System.nanoTime();
      ProgressSample last;
      int throttle = 0;
      try (OutgoingMigration out =
          OutgoingMigration.start(guest, tcp, agent.address(), uid, incoming.token(), options)) {
        long seenPass = 0;
        while (!out.completion().isDone()) {
          ProgressSample now = out.progress();
          if (now.iteration() > seenPass) {
            seenPass = now.iteration();
            if (strategy.equals("auto-converge") && seenPass >= 2) {
              throttle = Math.min(99, throttle == 0 ? 20 : throttle + 10);
              out.apply(new dev.livemigration.api.Directive.Throttle(throttle));
            } else if (strategy.equals("post-copy") && seenPass >= 4) {
              out.apply(new dev.livemigration.api.Directive.SwitchToPostCopy());
            }
          }
          if (System.nanoTime() - started > giveUp.toNanos()) {
            out.abort("gave up after " + giveUp.toSeconds() + " s");
          }
          TimeUnit.MILLISECONDS.sleep(20);
        }
        last = out.completion().get();
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      boolean completed = last.status() == ProgressSample.Status.COMPLETED;
      if (completed) {
        PagedMemory target = (PagedMemory) incoming.completion().get(1, TimeUnit.MINUTES);
        if (target.mismatch(guest) >= 0) {
          throw new IllegalStateException("the target differs from the source");
        }
        target.close();
        guest.resume();
      }
      return new Run(
          completed,
          last.mode().toString(),
          seconds,
          last.downtime().map(java.time.Duration::toMillis).orElse(-1L),
          (double) last.dataProcessed() / guest.size(),
          last.iteration(),
          throttle);
    }
  }

  static void downtime() throws Exception {
    long bandwidth = 64L << 20;
    int runs = Integer.getInteger("bench.downtimeRuns", 10);
    System.out.println();
    System.out.println(
        "downtime: 128 MiB guest, bandwidth 64 MiB/s, max downtime 300 ms, " + runs + " runs each");
    for (double share : new double[] {0.1, 0.3, 0.6}) {
      List<Long> downtimes = new ArrayList<>();
      int within = 0;
      for (int i = 0; i < runs; i++) {
        Run run =
            steered(
                128,
                bandwidth,
                (long) (share * bandwidth),
                "pre-copy",
                java.time.Duration.ofSeconds(60));
        downtimes.add(run.downtimeMillis());
        if (run.completed() && run.downtimeMillis() <= 300) {
          within++;
        }
      }
      java.util.Collections.sort(downtimes);
      System.out.printf(
          Locale.ROOT,
          "dirty rate %3.0f%% of bandwidth: within limit %d/%d, downtime ms min %d median %d max %d%n",
          share * 100,
          within,
          runs,
          downtimes.get(0),
          downtimes.get(downtimes.size() / 2),
          downtimes.get(downtimes.size() - 1));
    }
  }

  static void convergence() throws Exception {
    long bandwidth = 64L << 20;
    System.out.println();
    System.out.println(
        "convergence: 64 MiB guest, bandwidth 64 MiB/s, max downtime 300 ms, pre-copy gives up"
            + " after 20 s");
    System.out.println(
        "dirty/bw  strategy        outcome    mode       total s  sent/size  passes  downtime ms"
            + "  throttle");
    for (double ratio : new double[] {0.1, 0.5, 0.9, 1.5, 3}) {
      for (String strategy : new String[] {"pre-copy", "auto-converge", "post-copy"}) {
        Run run =
            steered(
                64,
                bandwidth,
                (long) (ratio * bandwidth),
                strategy,
                java.time.Duration.ofSeconds(20));
        System.out.printf(
            Locale.ROOT,
            "%-9s %-15s %-10s %-10s %7.1f  %9.2f  %6d  %11d  %8d%n",
            ratio,
            strategy,
            run.completed() ? "completed" : "failed",
            run.mode(),
            run.seconds(),
            run.sentPerSize(),
            run.passes(),
            run.downtimeMillis(),
            run.throttle());
      }
    }
  }
}
