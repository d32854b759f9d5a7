package dev.livemigration.api.manifest;

import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.manifest.Section.Bound;
import java.util.Collection;

/**
 * The phase of a migration state whose manifest gives none. KubeVirt's {@code
 * status.migrationState} has no phase: its migration controller moves a migration to {@code
 * Running} once the state has a {@code startTimestamp} (pkg/virt-controller/watch/migration), so a
 * state that has started and neither completed nor failed is read as running, not pending.
 */
final class DerivedPhase {
  private DerivedPhase() {}

  /** A builder with the phase that {@code values} imply set, when they give none. */
  static MigrationState.Builder builder(Collection<Bound<MigrationState.Builder>> values) {
    MigrationState.Builder builder = MigrationState.builder();
    if (!given(values, "phase")
        && given(values, "startTimestamp")
        && !isTrue(values, "completed")
        && !isTrue(values, "failed")) {
      builder.phase(MigrationPhase.RUNNING);
    }
    return builder;
  }

  private static boolean given(Collection<Bound<MigrationState.Builder>> values, String name) {
    return values.stream().anyMatch(bound -> bound.name().equals(name));
  }

  private static boolean isTrue(Collection<Bound<MigrationState.Builder>> values, String name) {
    return values.stream()
        .anyMatch(bound -> bound.name().equals(name) && Boolean.TRUE.equals(bound.value()));
  }
}
