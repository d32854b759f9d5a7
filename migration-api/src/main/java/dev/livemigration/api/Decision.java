package dev.livemigration.api;

import java.time.Instant;
import java.util.Objects;

/**
 * One decision the engine took about a running migration, with its inputs in words: a directive it
 * applied (throttle, downtime, post-copy, pause), or a timeout or stall that made it act.
 *
 * @param timestamp when, by the engine's clock
 * @param action what it did ("Throttle 20 % → 30 %", "abort", …)
 * @param reason why, with the figures it acted on
 */
public record Decision(Instant timestamp, String action, String reason) {
  /** The most decisions a state keeps: the latest ones. */
  public static final int KEPT = 32;

  /** Checks that no component is null. */
  public Decision {
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(reason, "reason");
  }
}
