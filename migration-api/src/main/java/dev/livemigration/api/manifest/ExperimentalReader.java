package dev.livemigration.api.manifest;

import static dev.livemigration.api.manifest.Converters.bool;
import static dev.livemigration.api.manifest.Converters.int32;
import static dev.livemigration.api.manifest.Converters.int64;
import static dev.livemigration.api.manifest.Converters.quantity;
import static dev.livemigration.api.manifest.Converters.seconds;
import static dev.livemigration.api.manifest.Maps.nested;

import dev.livemigration.api.DowntimeTuning;
import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.MigrationCompression;
import dev.livemigration.api.StallDetector;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads KubeVirt's alpha {@code experimental} migration options (a policy's {@code
 * spec.experimental}, a migration state's {@code migrationConfiguration.experimental}).
 */
final class ExperimentalReader {
  private ExperimentalReader() {}

  private static final Section<DowntimeTuning.Builder> DOWNTIME_TUNING =
      Section.<DowntimeTuning.Builder>strict(DowntimeTuning::builder, DowntimeTuning.Builder::build)
          .field("initialMs", int64(), DowntimeTuning.Builder::initialMs)
          .field("steps", int32(), DowntimeTuning.Builder::steps)
          .field("startAfterIteration", int64(), DowntimeTuning.Builder::startAfterIteration)
          .field("cooldownSeconds", seconds(), DowntimeTuning.Builder::cooldown);

  private static final Section<StallDetector.Builder> STALL_DETECTOR =
      Section.<StallDetector.Builder>strict(StallDetector::builder, StallDetector.Builder::build)
          .field("stallMargin", int32(), StallDetector.Builder::stallMargin)
          .field("ewmaAlpha", quantity(), StallDetector.Builder::ewmaAlpha)
          .field("stallProgressTimeout", seconds(), StallDetector.Builder::stallProgressTimeout)
          .field("switchoverTimeout", seconds(), StallDetector.Builder::switchoverTimeout)
          .field("precopyPossibleFactor", quantity(), StallDetector.Builder::precopyPossibleFactor)
          .field(
              "patienceWindowDecayFactor",
              quantity(),
              StallDetector.Builder::patienceWindowDecayFactor)
          .field("searchLocalMinima", bool(), StallDetector.Builder::searchLocalMinima)
          .field(
              "completionTimeoutFactor",
              quantity(),
              StallDetector.Builder::completionTimeoutFactor);

  private static final Section<ExperimentalMigrationOptions.Builder> EXPERIMENTAL =
      Section.<ExperimentalMigrationOptions.Builder>strict(
              ExperimentalMigrationOptions::builder, ExperimentalMigrationOptions.Builder::build)
          .field(
              "stallDetector",
              ExperimentalReader::stallDetector,
              ExperimentalMigrationOptions.Builder::stallDetector)
          .field(
              "downtimeTuning",
              ExperimentalReader::downtimeTuning,
              ExperimentalMigrationOptions.Builder::downtimeTuning)
          .field(
              "compression",
              ExperimentalReader::compression,
              ExperimentalMigrationOptions.Builder::compression);

  /** An {@code experimental} block. */
  static Optional<ExperimentalMigrationOptions> experimental(
      Tree node, String path, Problems problems) {
    return nested(EXPERIMENTAL, node, path, problems)
        .flatMap(
            values ->
                Section.build(
                    ExperimentalMigrationOptions.builder(),
                    ExperimentalMigrationOptions.Builder::build,
                    values,
                    path,
                    problems,
                    problems.count()));
  }

  /** The name KubeVirt writes a compression as: {@code none}, {@code zstd}. */
  static String compressionName(MigrationCompression compression) {
    return compression.name().toLowerCase(Locale.ROOT);
  }

  private static Optional<MigrationCompression> compression(
      Tree node, String path, Problems problems) {
    if (node instanceof Tree.Scalar scalar && scalar.type() == Tree.ScalarType.STRING) {
      for (MigrationCompression compression : MigrationCompression.values()) {
        if (compressionName(compression).equals(scalar.text())) {
          return Optional.of(compression);
        }
      }
    }
    problems.invalid(path, node, "must be one of none, zstd");
    return Optional.empty();
  }

  private static Optional<StallDetector> stallDetector(Tree node, String path, Problems problems) {
    return nested(STALL_DETECTOR, node, path, problems)
        .flatMap(
            values ->
                Section.build(
                    StallDetector.builder(),
                    StallDetector.Builder::build,
                    values,
                    path,
                    problems,
                    problems.count()));
  }

  private static Optional<DowntimeTuning> downtimeTuning(
      Tree node, String path, Problems problems) {
    return nested(DOWNTIME_TUNING, node, path, problems)
        .flatMap(
            values ->
                Section.build(
                    DowntimeTuning.builder(),
                    DowntimeTuning.Builder::build,
                    values,
                    path,
                    problems,
                    problems.count()));
  }
}
