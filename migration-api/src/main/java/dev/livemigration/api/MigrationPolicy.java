package dev.livemigration.api;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * Settings that override the cluster's {@link MigrationConfiguration} for a group of VMIs:
 * KubeVirt's {@code migrations.kubevirt.io/v1alpha1 MigrationPolicy}.
 *
 * <p>A policy applies to a VMI when every label of {@link #namespaceSelector()} is on the VMI's
 * namespace and every label of {@link #virtualMachineInstanceSelector()} is on the VMI. When
 * several apply, the engine picks the one that matches the most labels (ties: more VMI labels, then
 * the smaller name). Unset fields keep the cluster's value.
 */
@Value.Immutable
@ValueStyle
public abstract class MigrationPolicy {
  MigrationPolicy() {}

  /** Returns an empty builder; {@link Builder#name(String)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The policy's name: a DNS-1123 subdomain, unique in the cluster. */
  public abstract String name();

  /** Labels that the VMI's namespace must all carry; empty matches every namespace. */
  public abstract Map<String, String> namespaceSelector();

  /** Labels that the VMI must all carry; empty matches every VMI. */
  public abstract Map<String, String> virtualMachineInstanceSelector();

  /**
   * Whether the policy has {@code spec.selectors} at all. As in KubeVirt, a policy without them
   * matches no VMI, while {@code selectors: {}} (this set, both selectors empty) matches every VMI.
   * True unless set when either selector has a label.
   */
  @Value.Default
  public boolean hasSelectors() {
    return !namespaceSelector().isEmpty() || !virtualMachineInstanceSelector().isEmpty();
  }

  /** Overrides {@link MigrationConfiguration#allowAutoConverge()}. */
  public abstract Optional<Boolean> allowAutoConverge();

  /** Overrides {@link MigrationConfiguration#bandwidthPerMigration()}. */
  public abstract Optional<Quantity> bandwidthPerMigration();

  /** Overrides {@link MigrationConfiguration#completionTimeoutPerGiB()}. */
  public abstract Optional<Duration> completionTimeoutPerGiB();

  /** Overrides {@link MigrationConfiguration#allowPostCopy()}. */
  public abstract Optional<Boolean> allowPostCopy();

  /** Overrides {@link MigrationConfiguration#allowWorkloadDisruption()}. */
  public abstract Optional<Boolean> allowWorkloadDisruption();

  /** Overrides {@link MigrationConfiguration#maxDowntimeMs()}; between 1 and 2000000. */
  public abstract Optional<Long> maxDowntimeMs();

  /** KubeVirt's alpha tunables ({@code spec.experimental}); replace the configuration's. */
  public abstract Optional<ExperimentalMigrationOptions> experimental();

  /**
   * Returns whether this policy applies to a VMI with these labels in a namespace with these
   * labels.
   */
  public boolean matches(
      Map<String, String> namespaceLabels, Map<String, String> virtualMachineInstanceLabels) {
    return hasSelectors()
        && containsAll(namespaceLabels, namespaceSelector())
        && containsAll(virtualMachineInstanceLabels, virtualMachineInstanceSelector());
  }

  /** Returns {@code base} with this policy's overrides applied. */
  public MigrationConfiguration applyTo(MigrationConfiguration base) {
    MigrationConfiguration.Builder builder = MigrationConfiguration.builder().from(base);
    allowAutoConverge().ifPresent(builder::allowAutoConverge);
    bandwidthPerMigration().ifPresent(builder::bandwidthPerMigration);
    completionTimeoutPerGiB().ifPresent(builder::completionTimeoutPerGiB);
    allowPostCopy().ifPresent(builder::allowPostCopy);
    allowWorkloadDisruption().ifPresent(builder::allowWorkloadDisruption);
    maxDowntimeMs().ifPresent(builder::maxDowntimeMs);
    experimental().ifPresent(builder::experimental);
    return builder.build();
  }

  private static boolean containsAll(Map<String, String> labels, Map<String, String> selector) {
    return selector.entrySet().stream()
        .allMatch(entry -> entry.getValue().equals(labels.get(entry.getKey())));
  }

  @Value.Check
  void check() {
    Checks.objectName("name", name());
    Checks.labels("namespaceSelector", namespaceSelector());
    Checks.labels("virtualMachineInstanceSelector", virtualMachineInstanceSelector());
    bandwidthPerMigration().ifPresent(q -> Checks.wholeBytes("bandwidthPerMigration", q));
    completionTimeoutPerGiB()
        .ifPresent(d -> Checks.positiveWholeSeconds("completionTimeoutPerGiB", d));
    maxDowntimeMs()
        .ifPresent(
            ms ->
                Checks.between(
                    "maxDowntimeMs", ms, 1, MigrationConfiguration.MAX_DOWNTIME_MS_LIMIT));
  }

  /** Builds a {@link MigrationPolicy}. */
  public static final class Builder extends ImmutableMigrationPolicy.Builder {
    Builder() {}
  }
}
