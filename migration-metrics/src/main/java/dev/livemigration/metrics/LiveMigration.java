package dev.livemigration.metrics;

import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.metrics.MigrationMetrics.Bucket;
import io.micrometer.core.instrument.Meter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * A migration not yet ended, as the events told a {@link MigrationMetrics}: what its meters read.
 * The binder changes it under its lock; gauges read its volatile fields without it.
 */
final class LiveMigration implements MeterSlots.Holder {
  final String uid;
  final VirtualMachineInstanceMigration request;
  final Instant created;
  final boolean createdKnown;
  final List<Meter.Id> held = new ArrayList<>();
  volatile Bucket bucket = Bucket.UNSET;
  volatile String sourceNode = MigrationMetrics.UNKNOWN_NODE;
  volatile @Nullable ProgressSample sample;
  volatile @Nullable Instant started;
  boolean progressRegistered;

  LiveMigration(
      String uid, VirtualMachineInstanceMigration request, Instant created, boolean createdKnown) {
    this.uid = uid;
    this.request = request;
    this.created = created;
    this.createdKnown = createdKnown;
  }

  double sampleValue(ToDoubleFunction<ProgressSample> value) {
    ProgressSample last = sample;
    return last == null ? 0 : value.applyAsDouble(last);
  }

  double startedSeconds() {
    Instant at = started;
    return at == null ? Double.NaN : at.getEpochSecond();
  }

  @Override
  public List<Meter.Id> held() {
    return held;
  }
}
