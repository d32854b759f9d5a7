package dev.livemigration.api.manifest;

import java.util.List;
import java.util.Objects;

/**
 * A value read from a manifest, with the warnings about keys that were ignored while reading it.
 *
 * <pre>{@code
 * ManifestResult<KubeVirt> read = Manifests.readWithWarnings(path, KubeVirt.class);
 * read.warnings().forEach(w -> log.warn("{}", w.message()));
 * MigrationConfiguration migrations = read.value().migrations();
 * }</pre>
 *
 * @param value the value read; never null
 * @param warnings the ignored keys, in document order; empty if there are none
 * @param <T> the type of the value
 */
public record ManifestResult<T>(T value, List<ManifestWarning> warnings) {
  /** Checks that the value is given and copies the warnings. */
  public ManifestResult {
    Objects.requireNonNull(value, "value");
    warnings = List.copyOf(warnings);
  }
}
