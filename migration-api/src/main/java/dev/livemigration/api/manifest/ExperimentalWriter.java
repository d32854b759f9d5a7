package dev.livemigration.api.manifest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livemigration.api.DowntimeTuning;
import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.StallDetector;

/**
 * Writes KubeVirt's alpha {@code experimental} migration options as {@link ExperimentalReader}
 * reads them.
 */
final class ExperimentalWriter {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ExperimentalWriter() {}

  static ObjectNode experimental(ExperimentalMigrationOptions options) {
    ObjectNode node = NODES.objectNode();
    options.stallDetector().ifPresent(v -> node.set("stallDetector", stallDetector(v)));
    options.downtimeTuning().ifPresent(v -> node.set("downtimeTuning", downtimeTuning(v)));
    options
        .compression()
        .ifPresent(v -> node.put("compression", ExperimentalReader.compressionName(v)));
    return node;
  }

  private static ObjectNode stallDetector(StallDetector detector) {
    ObjectNode node = NODES.objectNode();
    node.put("stallMargin", detector.stallMargin());
    node.put("ewmaAlpha", detector.ewmaAlpha().toString());
    node.put("stallProgressTimeout", detector.stallProgressTimeout().getSeconds());
    node.put("switchoverTimeout", detector.switchoverTimeout().getSeconds());
    node.put("precopyPossibleFactor", detector.precopyPossibleFactor().toString());
    node.put("patienceWindowDecayFactor", detector.patienceWindowDecayFactor().toString());
    node.put("searchLocalMinima", detector.searchLocalMinima());
    node.put("completionTimeoutFactor", detector.completionTimeoutFactor().toString());
    return node;
  }

  private static ObjectNode downtimeTuning(DowntimeTuning tuning) {
    ObjectNode node = NODES.objectNode();
    node.put("initialMs", tuning.initialMs());
    node.put("steps", tuning.steps());
    node.put("startAfterIteration", tuning.startAfterIteration());
    node.put("cooldownSeconds", tuning.cooldown().getSeconds());
    return node;
  }
}
