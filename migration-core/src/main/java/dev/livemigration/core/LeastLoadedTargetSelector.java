package dev.livemigration.core;

import dev.livemigration.api.Node;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.TargetSelector;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The default {@link TargetSelector}: the candidate with the fewest VMIs, then by name. */
final class LeastLoadedTargetSelector implements TargetSelector {
  @Override
  public Optional<Node> select(
      VirtualMachineInstance vmi, List<Node> candidates, Map<String, Integer> load) {
    return candidates.stream()
        .min(
            Comparator.<Node>comparingInt(node -> load.getOrDefault(node.name(), 0))
                .thenComparing(Node::name));
  }
}
