package dev.livemigration.api.spi;

import dev.livemigration.api.Node;
import dev.livemigration.api.VirtualMachineInstance;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Chooses the node a VMI migrates to. */
public interface TargetSelector {

  /**
   * Returns the node to migrate to, or empty if none fits.
   *
   * @param vmi the VMI to place
   * @param candidates schedulable nodes other than the VMI's own, without the drain taint
   * @param load the number of VMIs running on or migrating to each node, by node name
   */
  Optional<Node> select(
      VirtualMachineInstance vmi, List<Node> candidates, Map<String, Integer> load);
}
