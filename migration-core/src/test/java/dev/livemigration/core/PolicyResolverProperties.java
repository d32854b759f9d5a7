package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationPolicy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/** {@link PolicyResolver} against a brute-force reading of KubeVirt's precedence rules. */
class PolicyResolverProperties {

  /**
   * The reference: the matching policy that no other matching policy beats, where p beats q when it
   * has more selector labels, or as many and more VMI-selector labels, or as many of both and a
   * smaller name. Names are unique, so exactly one policy is unbeaten.
   */
  static Optional<MigrationPolicy> reference(
      List<MigrationPolicy> policies, Map<String, String> namespace, Map<String, String> vmi) {
    List<MigrationPolicy> matching = new ArrayList<>();
    for (MigrationPolicy policy : policies) {
      boolean all = policy.hasSelectors();
      for (Map.Entry<String, String> label : policy.namespaceSelector().entrySet()) {
        all &= label.getValue().equals(namespace.get(label.getKey()));
      }
      for (Map.Entry<String, String> label : policy.virtualMachineInstanceSelector().entrySet()) {
        all &= label.getValue().equals(vmi.get(label.getKey()));
      }
      if (all) {
        matching.add(policy);
      }
    }
    List<MigrationPolicy> unbeaten = new ArrayList<>();
    for (MigrationPolicy candidate : matching) {
      boolean beaten = false;
      for (MigrationPolicy other : matching) {
        beaten |= other != candidate && beats(other, candidate);
      }
      if (!beaten) {
        unbeaten.add(candidate);
      }
    }
    assertThat(unbeaten).hasSizeLessThanOrEqualTo(1);
    return unbeaten.stream().findFirst();
  }

  private static boolean beats(MigrationPolicy p, MigrationPolicy q) {
    int totalP = p.namespaceSelector().size() + p.virtualMachineInstanceSelector().size();
    int totalQ = q.namespaceSelector().size() + q.virtualMachineInstanceSelector().size();
    if (totalP != totalQ) {
      return totalP > totalQ;
    }
    int vmiP = p.virtualMachineInstanceSelector().size();
    int vmiQ = q.virtualMachineInstanceSelector().size();
    if (vmiP != vmiQ) {
      return vmiP > vmiQ;
    }
    return p.name().compareTo(q.name()) < 0;
  }

  @Property(tries = 2000)
  @Label("picks the same policy as the brute-force reference")
  void matchesReference(
      @ForAll("policies") List<MigrationPolicy> policies,
      @ForAll("labels") Map<String, String> namespaceLabels,
      @ForAll("labels") Map<String, String> vmiLabels) {
    Optional<MigrationPolicy> expected = reference(policies, namespaceLabels, vmiLabels);

    Optional<MigrationPolicy> actual = PolicyResolver.resolve(policies, namespaceLabels, vmiLabels);

    assertThat(actual).isEqualTo(expected);
    Statistics.label("outcome")
        .collect(
            expected.isEmpty()
                ? "none"
                : policies.stream().filter(p -> p.matches(namespaceLabels, vmiLabels)).count() > 1
                    ? "several matched"
                    : "one matched");
    Statistics.label("outcome")
        .coverage(coverage -> coverage.check("several matched").percentage(p -> p > 5));
  }

  @Property(tries = 500)
  @Label("does not depend on the order of the policies")
  void orderIndependent(
      @ForAll("policies") List<MigrationPolicy> policies,
      @ForAll("labels") Map<String, String> namespaceLabels,
      @ForAll("labels") Map<String, String> vmiLabels) {
    List<MigrationPolicy> reversed = new ArrayList<>(policies);
    Collections.reverse(reversed);

    assertThat(PolicyResolver.resolve(reversed, namespaceLabels, vmiLabels))
        .isEqualTo(PolicyResolver.resolve(policies, namespaceLabels, vmiLabels));
  }

  @Provide
  Arbitrary<Map<String, String>> labels() {
    return Arbitraries.maps(Arbitraries.of("tier", "team", "app", "os"), Arbitraries.of("a", "b"))
        .ofMaxSize(4);
  }

  @Provide
  Arbitrary<List<MigrationPolicy>> policies() {
    Arbitrary<Map<String, String>> selector =
        Arbitraries.maps(Arbitraries.of("tier", "team", "app", "os"), Arbitraries.of("a", "b"))
            .ofMaxSize(2);
    Arbitrary<String> name = Arbitraries.strings().withChars("abc").ofMinLength(1).ofMaxLength(3);
    Arbitrary<MigrationPolicy> policy =
        Combinators.combine(name, selector, selector, Arbitraries.integers().between(0, 3))
            .as(
                (n, ns, vmi, nil) ->
                    MigrationPolicy.builder()
                        .name(n)
                        .namespaceSelector(ns)
                        .virtualMachineInstanceSelector(vmi)
                        // A quarter of the policies without labels have no selectors at all.
                        .hasSelectors(nil != 0 || !ns.isEmpty() || !vmi.isEmpty())
                        .build());
    return policy.list().ofMaxSize(8).uniqueElements(MigrationPolicy::name);
  }
}
