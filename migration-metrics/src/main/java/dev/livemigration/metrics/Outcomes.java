package dev.livemigration.metrics;

import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link MigrationMetrics} keeps of finished migrations: KubeVirt's succeeded or failed
 * gauge, start and end time and last downtime of the newest {@code retention} ones; older ones are
 * removed. Not thread-safe: used under the binder's lock.
 */
final class Outcomes {
  private final MeterSlots slots;
  private final int retention;

  /** Outcomes still exported, oldest first. */
  private final LinkedHashMap<String, Outcome> finished = new LinkedHashMap<>();

  Outcomes(MeterSlots slots, int retention) {
    this.slots = slots;
    this.retention = retention;
  }

  /** The finished migrations whose outcome meters are exported. */
  int size() {
    return finished.size();
  }

  /** Forgets every outcome; their meters are the caller's to remove. */
  void clear() {
    finished.clear();
  }

  /**
   * Exports the outcome of a migration that ended, and removes the oldest one past the retention.
   *
   * @param source the node the migration left (or was to leave)
   * @param started when it started running, if known
   * @param ended when it ended
   * @param downtime the guest's pause at the switch, if measured
   */
  void keep(
      String uid,
      VirtualMachineInstanceMigration request,
      MigrationState state,
      String source,
      @Nullable Instant started,
      Instant ended,
      @Nullable Duration downtime) {
    if (retention == 0) {
      return;
    }
    Outcome outcome = new Outcome();
    String node = nodeAfter(state, source);
    slots.register(
        outcome,
        MeterSlots.gauge(
            state.failed() ? MigrationMetrics.FAILED : MigrationMetrics.SUCCEEDED,
            state.failed()
                ? "Indicates if the VMI migration failed."
                : "Indicates if the VMI migration succeeded.",
            Tags.of(
                "vmi", request.vmiName(),
                "vmim", request.name(),
                "namespace", request.namespace())),
        owner -> 1);
    if (started != null) {
      outcome.startSeconds = started.getEpochSecond();
      slots.register(
          outcome,
          MeterSlots.gauge(
              MigrationMetrics.START_TIME,
              "The time at which the migration started.",
              MigrationMetrics.startTags(request, node)),
          owner -> ((Outcome) owner).startSeconds);
    }
    outcome.endSeconds = ended.getEpochSecond();
    slots.register(
        outcome,
        MeterSlots.gauge(
            MigrationMetrics.END_TIME,
            "The time at which the migration ended.",
            MigrationMetrics.startTags(request, node)
                .and("status", state.failed() ? "failed" : "succeeded")),
        owner -> ((Outcome) owner).endSeconds);
    if (downtime != null) {
      outcome.downtimeSeconds = downtime.toNanos() / 1e9;
      slots.register(
          outcome,
          MeterSlots.gauge(
              MigrationMetrics.LAST_DOWNTIME,
              "Time, in seconds, the guest was paused during the cut-over of its last successful"
                  + " live migration.",
              MigrationMetrics.handlerTags(request, source)),
          owner -> ((Outcome) owner).downtimeSeconds);
    }
    finished.put(uid, outcome);
    Iterator<Outcome> oldest = finished.values().iterator();
    while (finished.size() > retention && oldest.hasNext()) {
      Outcome evicted = oldest.next();
      oldest.remove();
      slots.release(evicted);
    }
  }

  private static String nodeAfter(MigrationState state, String source) {
    if (state.guestLocation().orElse(null) == GuestLocation.TARGET) {
      return state.targetNode().orElse(source);
    }
    return source;
  }

  /** What stays of a finished migration. */
  private static final class Outcome implements MeterSlots.Holder {
    final List<Meter.Id> held = new ArrayList<>();
    volatile double startSeconds = Double.NaN;
    volatile double endSeconds = Double.NaN;
    volatile double downtimeSeconds = Double.NaN;

    @Override
    public List<Meter.Id> held() {
      return held;
    }
  }
}
