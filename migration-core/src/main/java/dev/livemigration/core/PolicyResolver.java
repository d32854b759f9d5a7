package dev.livemigration.core;

import dev.livemigration.api.MigrationPolicy;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Chooses the {@link MigrationPolicy} that applies to a VMI, with KubeVirt's precedence: among the
 * policies whose selectors all match, the one with the most selector labels wins; a tie goes to the
 * one with more VMI-selector labels, then to the lexicographically smallest name.
 */
public final class PolicyResolver {
  private static final Comparator<MigrationPolicy> PRECEDENCE =
      Comparator.<MigrationPolicy>comparingInt(
              p -> p.namespaceSelector().size() + p.virtualMachineInstanceSelector().size())
          .reversed()
          .thenComparing(
              Comparator.<MigrationPolicy>comparingInt(
                      p -> p.virtualMachineInstanceSelector().size())
                  .reversed())
          .thenComparing(MigrationPolicy::name);

  private PolicyResolver() {}

  /**
   * Returns the policy that applies to a VMI with these labels in a namespace with these labels, or
   * empty if none matches.
   */
  public static Optional<MigrationPolicy> resolve(
      List<MigrationPolicy> policies,
      Map<String, String> namespaceLabels,
      Map<String, String> vmiLabels) {
    return policies.stream()
        .filter(policy -> policy.matches(namespaceLabels, vmiLabels))
        .min(PRECEDENCE);
  }
}
