package dev.livemigration.examples;

import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.spi.MigrationStrategy;
import dev.livemigration.core.dataplane.PagedMemory;
import dev.livemigration.core.strategy.Strategies;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the demo runs, checked: the strategy, the guest's memory and dirty rate, the bandwidth, TLS
 * and when to cancel.
 *
 * @param strategy a built-in strategy id, one of {@link #STRATEGIES}
 * @param memory the guest's memory in bytes, a positive multiple of the page size
 * @param dirtyRate bytes per second the guest dirties; 0 is an idle guest
 * @param bandwidth bytes per second per migration; 0 is unlimited
 * @param tls whether memory travels over TLS
 * @param cancelAfter when to cancel the migration, or null to let it run
 * @param breakLinkAfter how long after the switch to post-copy to break the migration's connections
 *     once (post-copy only), or null to leave them alone
 */
record DemoSettings(
    String strategy,
    long memory,
    long dirtyRate,
    long bandwidth,
    boolean tls,
    @Nullable Duration cancelAfter,
    @Nullable Duration breakLinkAfter) {

  /** The strategies the demo offers. */
  static final List<String> STRATEGIES =
      List.of("pre-copy", "post-copy", "auto-converge", "hybrid");

  /** Raised for an option value that breaks a rule; the message names option, rule and value. */
  static final class BadOption extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    BadOption(String option, String rule, String value) {
      super(option + " " + rule + ", but was '" + value + "'");
    }
  }

  /** Checks the options as typed, without {@code --break-link-after}. */
  static DemoSettings parse(
      String strategy,
      String memory,
      String dirtyRate,
      String bandwidth,
      boolean tls,
      @Nullable String cancelAfter) {
    return parse(strategy, memory, dirtyRate, bandwidth, tls, cancelAfter, null);
  }

  /**
   * Checks the options as typed.
   *
   * @throws BadOption naming the first option that breaks its rule
   */
  static DemoSettings parse(
      String strategy,
      String memory,
      String dirtyRate,
      String bandwidth,
      boolean tls,
      @Nullable String cancelAfter,
      @Nullable String breakLinkAfter) {
    if (!STRATEGIES.contains(strategy)) {
      throw new BadOption(
          "--strategy", "must be one of " + String.join(", ", STRATEGIES), strategy);
    }
    long memoryBytes = bytes("--memory", memory);
    if (memoryBytes <= 0 || memoryBytes % PagedMemory.DEFAULT_PAGE_SIZE != 0) {
      throw new BadOption("--memory", "must be a positive multiple of 4Ki (the page size)", memory);
    }
    if (memoryBytes / PagedMemory.DEFAULT_PAGE_SIZE > Integer.MAX_VALUE) {
      throw new BadOption("--memory", "must be less than 8Ti", memory);
    }
    Duration breakAfter =
        breakLinkAfter == null ? null : seconds("--break-link-after", breakLinkAfter);
    if (breakAfter != null && !strategy.equals("post-copy")) {
      throw new BadOption(
          "--break-link-after",
          "must come with --strategy post-copy (it breaks the link in post-copy; the strategy is "
              + strategy
              + ")",
          breakLinkAfter);
    }
    return new DemoSettings(
        strategy,
        memoryBytes,
        bytes("--dirty-rate", dirtyRate),
        bytes("--bandwidth", bandwidth),
        tls,
        cancelAfter == null ? null : seconds("--cancel-after", cancelAfter),
        breakAfter);
  }

  private static long bytes(String option, String text) {
    Quantity quantity;
    try {
      quantity = Quantity.parse(text);
    } catch (InvalidValueException e) {
      throw new BadOption(option, e.rule(), text);
    }
    if (quantity.value().scale() > 0) {
      throw new BadOption(option, "must be a whole number of bytes", text);
    }
    if (quantity.value().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new BadOption(option, "must be at most " + Long.MAX_VALUE + " bytes", text);
    }
    return quantity.bytes();
  }

  private static Duration seconds(String option, String text) {
    BigDecimal seconds;
    try {
      seconds = new BigDecimal(text);
    } catch (NumberFormatException e) {
      throw new BadOption(option, "must be a number of seconds such as 3 or 0.5", text);
    }
    if (seconds.signum() <= 0 || seconds.compareTo(BigDecimal.valueOf(86_400)) > 0) {
      throw new BadOption(option, "must be more than 0 and at most 86400 seconds", text);
    }
    return Duration.ofNanos(seconds.movePointRight(9).longValue());
  }

  /** The strategy the engine runs. */
  MigrationStrategy migrationStrategy() {
    return Strategies.byId(strategy);
  }

  /**
   * KubeVirt's defaults with this bandwidth and TLS setting, allowing post-copy for the post-copy
   * and hybrid strategies and auto-converge for auto-converge (the engine refuses what the
   * configuration does not allow).
   */
  MigrationConfiguration configuration() {
    return MigrationConfiguration.builder()
        .bandwidthPerMigration(Quantity.ofBytes(bandwidth))
        .disableTLS(!tls)
        .allowPostCopy(strategy.equals("post-copy") || strategy.equals("hybrid"))
        .allowAutoConverge(strategy.equals("auto-converge"))
        .build();
  }
}
