package dev.livemigration.core.dataplane;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a source reconnects a broken post-copy link: attempt after attempt, with back-off (100 ms,
 * doubling, at most 5 s), each bounded by the time left, until one resumes the link, the agent
 * refuses for good, or the recovery budget runs out.
 */
final class LinkRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(OutgoingMigration.class);
  static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  /** The agent refused to resume; {@link #retry()} says whether a later attempt may do better. */
  static final class Refused extends IOException {
    private static final long serialVersionUID = 1L;
    private final boolean retry;

    Refused(String message, boolean retry) {
      super(message);
      this.retry = retry;
    }

    boolean retry() {
      return retry;
    }
  }

  /** One attempt, bounded by the time given. */
  interface Attempt<T> {
    T run(Duration bound) throws IOException;
  }

  private LinkRecovery() {}

  /**
   * Runs attempts until one succeeds.
   *
   * @param onAttempt told the number of each attempt (1, 2, …) before it starts
   * @throws Refused if the agent refused for good (it knows no such migration in post-copy)
   * @throws TransferFailedException if the budget ran out; the message says the guest is lost
   */
  static <T> T reconnect(
      String uid, String cause, Duration budget, IntConsumer onAttempt, Attempt<T> attempt)
      throws IOException {
    long deadline = System.nanoTime() + budget.toNanos();
    long backoff = FIRST_BACKOFF.toNanos();
    String last = cause;
    int attempts = 0;
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      attempts++;
      onAttempt.accept(attempts);
      try {
        return attempt.run(Duration.ofNanos(left));
      } catch (Refused refused) {
        if (!refused.retry()) {
          throw refused;
        }
        last = refused.getMessage();
      } catch (IOException | RuntimeException e) {
        last = Failures.describe(e, "resuming the link");
      }
      LOG.info("Migration {}: attempt {} to resume the link failed: {}", uid, attempts, last);
      long sleep = Math.min(backoff, deadline - System.nanoTime());
      if (sleep > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(sleep);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new TransferFailedException("interrupted while resuming the post-copy link", e);
        }
      }
      backoff = Math.min(backoff * 2, MAX_BACKOFF.toNanos());
    }
    throw new TransferFailedException(
        "the post-copy link broke ("
            + cause
            + ") and was not recovered within the recovery budget of "
            + budget.toMillis()
            + " ms ("
            + attempts
            + " attempt(s); the last: "
            + last
            + "): the guest on the target is lost");
  }
}
