package dev.livemigration.core;

import dev.livemigration.api.Quantity;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * How the {@link ScriptedBackend}'s sessions behave for one VMI: the network's speed, the guest's
 * dirty rate, the downtime at which pre-copy converges, whether an abort comes too late, and which
 * backend calls throw.
 *
 * @param linkRate bytes per second the network moves; the migration's bandwidth limit caps it
 * @param dirtyRate bytes per second the unthrottled guest dirties
 * @param maxDowntime pre-copy converges once a pass leaves no more than this much transfer time
 * @param abortTooLate whether an abort finds the job already completed (the next sample is {@code
 *     COMPLETED} instead of {@code FAILED})
 * @param failures the steps that throw a {@link dev.livemigration.api.spi.BackendException}, with
 *     its message
 * @param failOnSample for {@link ScriptedBackend.Step#SAMPLE}: the 1-based sample that throws
 */
record Script(
    long linkRate,
    long dirtyRate,
    Duration maxDowntime,
    boolean abortTooLate,
    Map<ScriptedBackend.Step, String> failures,
    int failOnSample) {

  /** 64 MiB per second: KubeVirt's default bandwidth per migration. */
  static final long MIB_64 = Quantity.ofMebibytes(64).bytes();

  /** A fast link, an idle guest: pre-copy converges in the first pass. */
  static final Script CONVERGING = new Script(Quantity.ofGibibytes(1).bytes(), 0);

  Script {
    failures = Map.copyOf(failures);
  }

  Script(long linkRate, long dirtyRate) {
    this(linkRate, dirtyRate, Duration.ofMillis(300), false, Map.of(), 1);
  }

  /** A guest that dirties memory at {@code dirtyRate} bytes per second, on a fast link. */
  static Script dirtying(long dirtyRate) {
    return new Script(Quantity.ofGibibytes(1).bytes(), dirtyRate);
  }

  /** A guest that dirties memory as fast as the default bandwidth moves it: never converges. */
  static Script neverConverging() {
    return dirtying(2 * MIB_64);
  }

  Script withLinkRate(long bytesPerSecond) {
    return new Script(bytesPerSecond, dirtyRate, maxDowntime, abortTooLate, failures, failOnSample);
  }

  Script withAbortTooLate() {
    return new Script(linkRate, dirtyRate, maxDowntime, true, failures, failOnSample);
  }

  /** Makes {@code step} throw with {@code message} (for SAMPLE: the first sample). */
  Script failing(ScriptedBackend.Step step, String message) {
    Map<ScriptedBackend.Step, String> all = new EnumMap<>(ScriptedBackend.Step.class);
    all.putAll(failures);
    all.put(step, message);
    return new Script(linkRate, dirtyRate, maxDowntime, abortTooLate, all, failOnSample);
  }

  /** Makes the {@code n}-th sample (from 1) throw with {@code message}. */
  Script failingOnSample(int n, String message) {
    Script failing = failing(ScriptedBackend.Step.SAMPLE, message);
    return new Script(linkRate, dirtyRate, maxDowntime, abortTooLate, failing.failures(), n);
  }
}
