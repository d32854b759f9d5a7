package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.Condition;
import dev.livemigration.api.ConditionStatus;
import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Round trips of generated values through YAML and JSON, and robustness against any text. */
class ManifestProperties {
  /** YAML's and JSON's look-alikes of other types, which writing must quote. */
  private static final List<String> TRICKY_WORDS =
      List.of(
          "yes", "no", "on", "off", "y", "n", "true", "false", "null", "nan", "inf", "123", "007",
          "1e3", "0x1f", "1-2", "1.5e3");

  // ---------------------------------------------------------------- round trips

  @Property
  @Label("a MigrationConfiguration survives YAML and JSON")
  void configurationRoundTrips(@ForAll("configurations") MigrationConfiguration configuration) {
    assertRoundTrips(configuration, MigrationConfiguration.class);
    KubeVirt kubeVirt = KubeVirt.builder().migrations(configuration).build();
    assertRoundTrips(kubeVirt, KubeVirt.class);
  }

  @Property
  @Label("a MigrationPolicy survives YAML and JSON")
  void policyRoundTrips(@ForAll("policies") MigrationPolicy policy) {
    assertRoundTrips(policy, MigrationPolicy.class);
  }

  @Property
  @Label("a VirtualMachineInstanceMigration survives YAML and JSON")
  void migrationRoundTrips(@ForAll("migrations") VirtualMachineInstanceMigration migration) {
    assertRoundTrips(migration, VirtualMachineInstanceMigration.class);
  }

  @Property
  @Label("a MigrationState survives YAML and JSON")
  void stateRoundTrips(@ForAll("states") MigrationState state) {
    assertRoundTrips(state, MigrationState.class);
  }

  @Property(tries = 300)
  @Label("a KubeVirt CR survives YAML and JSON")
  void kubeVirtRoundTrips(@ForAll("kubeVirts") KubeVirt kubeVirt) {
    assertRoundTrips(kubeVirt, KubeVirt.class);
  }

  @Property(tries = 300)
  @Label("a VMI status survives YAML and JSON")
  void statusRoundTrips(@ForAll("statuses") VirtualMachineInstanceStatus status) {
    assertRoundTrips(status, VirtualMachineInstanceStatus.class);
  }

  private static void assertRoundTrips(Object value, Class<?> type) {
    String yaml = Manifests.toYaml(value);
    assertThat(Manifests.read(yaml, type)).as("YAML:\n%s", yaml).isEqualTo(value);
    String json = Manifests.toJson(value);
    assertThat(Manifests.read(json, type)).as("JSON:\n%s", json).isEqualTo(value);
    if (type != MigrationState.class
        && type != VirtualMachineInstanceStatus.class
        && type != MigrationConfiguration.class) {
      assertThat(Manifests.read(yaml)).isEqualTo(value);
      assertThat(Manifests.readAll(yaml + "---\n" + json.replace('\n', ' ') + "\n"))
          .containsExactly(value, value);
    }
  }

  // ---------------------------------------------------------------- robustness

  @Property(tries = 2000)
  @Label("any mutation of a guide snippet is read or rejected with a ManifestException only")
  void mutatedSnippetsFailCleanly(
      @ForAll("snippets") String snippet,
      @ForAll("mutations") List<Mutation> mutations,
      @ForAll("readTypes") Class<?> type) {
    String text = snippet;
    for (Mutation mutation : mutations) {
      text = mutation.apply(text);
    }
    assertReadsOrFailsCleanly(text, type);
  }

  @Property(tries = 1000)
  @Label("any text is read or rejected with a ManifestException only")
  void anyTextFailsCleanly(@ForAll("texts") String text, @ForAll("readTypes") Class<?> type) {
    assertReadsOrFailsCleanly(text, type);
  }

  private static void assertReadsOrFailsCleanly(String text, Class<?> type) {
    Throwable thrown = catchThrowable(() -> Manifests.read(text, type));
    if (thrown != null) {
      assertThat(thrown).as("reading:\n%s", text).isExactlyInstanceOf(ManifestException.class);
      ManifestException e = (ManifestException) thrown;
      assertThat(e.problems()).isNotEmpty();
      assertThat(e.getMessage()).doesNotContain("[Source", "com.fasterxml", "org.yaml");
      e.problems().forEach(p -> assertThat(p.message()).doesNotContain("\n"));
    }
    Throwable thrownByAll = catchThrowable(() -> Manifests.readAll(text));
    if (thrownByAll != null) {
      assertThat(thrownByAll)
          .as("reading all:\n%s", text)
          .isExactlyInstanceOf(ManifestException.class);
    }
  }

  /** One edit of a text. */
  record Mutation(int position, int length, String insert) {
    String apply(String text) {
      int start = Math.min(position, text.length());
      int end = Math.min(start + length, text.length());
      return text.substring(0, start) + insert + text.substring(end);
    }
  }

  @Provide
  Arbitrary<String> snippets() {
    return Arbitraries.of(
            GuideSnippets.MIGRATION,
            GuideSnippets.STATUS,
            GuideSnippets.STATE_SUCCEEDED,
            GuideSnippets.STATE_ABORTED,
            GuideSnippets.KUBEVIRT_LIMITS,
            GuideSnippets.NETWORK_ATTACHMENT,
            GuideSnippets.KUBEVIRT_NETWORK,
            GuideSnippets.KUBEVIRT_DISABLE_TLS)
        .map(GuideSnippets::text);
  }

  @Provide
  Arbitrary<List<Mutation>> mutations() {
    Arbitrary<String> inserts =
        Arbitraries.oneOf(
            Arbitraries.of(
                "", " ", "\n", "\t", ":", "- ", "[", "]", "{", "}", "'", "\"", "&a ", "*a", "#",
                "---\n", "~", "!!str ", "? ", "|", ">", "%", "@", "-1", "1.5", "true", "null", "Gi",
                "\\", "\u00e9", "\u0000"),
            Arbitraries.strings().ofMaxLength(4));
    Arbitrary<Mutation> mutation =
        Combinators.combine(
                Arbitraries.integers().between(0, 900),
                Arbitraries.integers().between(0, 6),
                inserts)
            .as(Mutation::new);
    return mutation.list().ofMinSize(1).ofMaxSize(4);
  }

  @Provide
  Arbitrary<Class<?>> readTypes() {
    return Arbitraries.of(
        Object.class,
        KubeVirt.class,
        VirtualMachineInstanceMigration.class,
        MigrationPolicy.class,
        MigrationState.class,
        VirtualMachineInstanceStatus.class,
        MigrationConfiguration.class,
        VirtualMachineInstance.class,
        PersistentVolumeClaim.class);
  }

  @Provide
  Arbitrary<String> texts() {
    Arbitrary<String> pieces =
        Arbitraries.of(
            "kind: ",
            "KubeVirt",
            "Kubevirt",
            "MigrationPolicy",
            "VirtualMachineInstanceMigration",
            "apiVersion: kubevirt.io/v1\n",
            "spec:\n",
            "  ",
            "configuration:\n",
            "migrations:\n",
            "metadata:\n",
            "name: x\n",
            "vmiName: ",
            "bandwidthPerMigration: ",
            "64Mi",
            "-1",
            "\n",
            "- ",
            "[",
            "]",
            "{",
            "}",
            ": ",
            "&a ",
            "*a",
            "'",
            "\"",
            "---\n",
            "null",
            "~",
            "Migration State:\n",
            "Migration UID: u\n",
            "Target Direct Migration Node Ports:\n",
            "35001: 0\n",
            "Conditions:\n",
            "Status: True\n",
            "true",
            "1e9",
            "0x10",
            "#",
            "\t");
    return Arbitraries.oneOf(
        pieces.list().ofMaxSize(30).map(list -> String.join("", list)),
        Arbitraries.strings().ofMaxLength(60));
  }

  // ---------------------------------------------------------------- value arbitraries

  /** DNS-1123 labels, including ones YAML would take for another type if written plainly. */
  @Provide
  Arbitrary<String> dnsLabels() {
    Arbitrary<String> generated =
        Combinators.combine(
                Arbitraries.strings().withCharRange('a', 'z').numeric().ofLength(1),
                Arbitraries.strings()
                    .withCharRange('a', 'z')
                    .numeric()
                    .withChars('-')
                    .ofMaxLength(20),
                Arbitraries.strings().withCharRange('a', 'z').numeric().ofLength(1))
            .as((first, middle, last) -> first + middle + last);
    return Arbitraries.oneOf(
        generated,
        Arbitraries.strings().withCharRange('a', 'z').numeric().ofLength(1),
        Arbitraries.of(TRICKY_WORDS).filter(w -> w.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")));
  }

  /** DNS-1123 subdomains: labels joined by dots. */
  @Provide
  Arbitrary<String> dnsNames() {
    return dnsLabels().list().ofMinSize(1).ofMaxSize(3).map(parts -> String.join(".", parts));
  }

  /** Any text, including quotes, colons, line breaks and words YAML reads as other types. */
  @Provide
  Arbitrary<String> anyText() {
    return Arbitraries.oneOf(
        Arbitraries.strings()
            .withCharRange(' ', '~')
            .withChars('\n', '\t', '\u00e9', '\u4e2d', '\u00a0')
            .ofMaxLength(30),
        Arbitraries.of(TRICKY_WORDS),
        Arbitraries.of("", " ", "- x", "a: b", "#x", "'q'", "\"q\"", "x  ", "  x", "---", "..."));
  }

  /** Text that is not blank, for fields the model requires to be so. */
  @Provide
  Arbitrary<String> nonBlankText() {
    return anyText().filter(s -> !s.isBlank());
  }

  @Provide
  Arbitrary<Quantity> bandwidths() {
    return Arbitraries.oneOf(
        Arbitraries.longs().between(0, Long.MAX_VALUE).map(Quantity::ofBytes),
        Arbitraries.longs().between(0, 1L << 20).map(Quantity::ofMebibytes),
        Combinators.combine(
                Arbitraries.longs().between(0, 1_000_000), Arbitraries.of("", "k", "M", "G", "e3"))
            .as((n, suffix) -> Quantity.parse(n + suffix)));
  }

  @Provide
  Arbitrary<Duration> wholeSeconds() {
    return Arbitraries.oneOf(
            Arbitraries.longs().between(1, 100_000), Arbitraries.longs().between(1, Long.MAX_VALUE))
        .map(Duration::ofSeconds);
  }

  @Provide
  Arbitrary<Instant> instants() {
    return Combinators.combine(
            Arbitraries.longs().between(0, 253_402_300_799L),
            Arbitraries.oneOf(Arbitraries.just(0), Arbitraries.integers().between(0, 999_999_999)))
        .as(Instant::ofEpochSecond);
  }

  @Provide
  Arbitrary<MigrationConfiguration> configurations() {
    return Builders.withBuilder(MigrationConfiguration::builder)
        .use(Arbitraries.integers().between(1, Integer.MAX_VALUE))
        .withProbability(0.7)
        .in((b, v) -> b.parallelMigrationsPerCluster(v))
        .use(Arbitraries.integers().between(1, Integer.MAX_VALUE))
        .withProbability(0.7)
        .in((b, v) -> b.parallelOutboundMigrationsPerNode(v))
        .use(bandwidths())
        .withProbability(0.7)
        .in((b, v) -> b.bandwidthPerMigration(v))
        .use(wholeSeconds())
        .withProbability(0.7)
        .in((b, v) -> b.completionTimeoutPerGiB(v))
        .use(wholeSeconds())
        .withProbability(0.7)
        .in((b, v) -> b.progressTimeout(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.disableTLS(v))
        .use(nonBlankText())
        .withProbability(0.5)
        .in((b, v) -> b.nodeDrainTaintKey(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.allowAutoConverge(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.allowPostCopy(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.unsafeMigrationOverride(v))
        .use(dnsNames())
        .withProbability(0.5)
        .in((b, v) -> b.network(v))
        .use(Arbitraries.longs().between(1, MigrationConfiguration.MAX_DOWNTIME_MS_LIMIT))
        .withProbability(0.5)
        .in((b, v) -> b.maxDowntimeMs(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.allowWorkloadDisruption(v))
        .use(experimentals())
        .withProbability(0.3)
        .in((b, v) -> b.experimental(v))
        .build(MigrationConfiguration.Builder::build);
  }

  /** KubeVirt's alpha tunables: a stall detector or a downtime ramp, and a compression. */
  Arbitrary<dev.livemigration.api.ExperimentalMigrationOptions> experimentals() {
    Arbitrary<dev.livemigration.api.StallDetector> detectors =
        Builders.withBuilder(dev.livemigration.api.StallDetector::builder)
            .use(Arbitraries.integers().between(0, 100))
            .withProbability(0.5)
            .in((b, v) -> b.stallMargin(v))
            .use(Arbitraries.of("0.1", "0.4", "1").map(Quantity::parse))
            .withProbability(0.5)
            .in((b, v) -> b.ewmaAlpha(v))
            .use(Arbitraries.longs().between(0, 1000).map(java.time.Duration::ofSeconds))
            .withProbability(0.5)
            .in((b, v) -> b.stallProgressTimeout(v))
            .use(Arbitraries.of("1", "1.5", "10").map(Quantity::parse))
            .withProbability(0.5)
            .in((b, v) -> b.precopyPossibleFactor(v))
            .use(Arbitraries.of(true, false))
            .in((b, v) -> b.searchLocalMinima(v))
            .build(dev.livemigration.api.StallDetector.Builder::build);
    Arbitrary<dev.livemigration.api.DowntimeTuning> ramps =
        Builders.withBuilder(dev.livemigration.api.DowntimeTuning::builder)
            .use(Arbitraries.longs().between(1, 5000))
            .withProbability(0.5)
            .in((b, v) -> b.initialMs(v))
            .use(Arbitraries.integers().between(1, Integer.MAX_VALUE))
            .withProbability(0.5)
            .in((b, v) -> b.steps(v))
            .use(Arbitraries.longs().between(1, 100).map(java.time.Duration::ofSeconds))
            .withProbability(0.5)
            .in((b, v) -> b.cooldown(v))
            .build(dev.livemigration.api.DowntimeTuning.Builder::build);
    return Builders.withBuilder(dev.livemigration.api.ExperimentalMigrationOptions::builder)
        .use(Arbitraries.oneOf(detectors.map(d -> (Object) d), ramps.map(r -> (Object) r)))
        .withProbability(0.7)
        .in(
            (b, v) ->
                v instanceof dev.livemigration.api.StallDetector d
                    ? b.stallDetector(d)
                    : b.downtimeTuning((dev.livemigration.api.DowntimeTuning) v))
        .use(Arbitraries.of(dev.livemigration.api.MigrationCompression.class))
        .withProbability(0.5)
        .in((b, v) -> b.compression(v))
        .build(dev.livemigration.api.ExperimentalMigrationOptions.Builder::build);
  }

  /** Label maps the model accepts, as selectors or as a VMI's labels. */
  @Provide
  Arbitrary<java.util.Map<String, String>> labels() {
    Arbitrary<String> labelNames =
        Combinators.combine(
                dnsNames().injectNull(0.6),
                Combinators.combine(
                        Arbitraries.strings().alpha().numeric().ofLength(1),
                        Arbitraries.strings()
                            .alpha()
                            .numeric()
                            .withChars('-', '_', '.')
                            .ofMaxLength(10),
                        Arbitraries.strings().alpha().numeric().ofLength(1))
                    .as((a, b, c) -> a + b + c))
            .as((prefix, name) -> prefix == null ? name : prefix + "/" + name);
    Arbitrary<String> labelValues =
        Arbitraries.oneOf(
            Arbitraries.just(""),
            Arbitraries.of(TRICKY_WORDS),
            Combinators.combine(
                    Arbitraries.strings().alpha().numeric().ofLength(1),
                    Arbitraries.strings()
                        .alpha()
                        .numeric()
                        .withChars('-', '_', '.')
                        .ofMaxLength(10),
                    Arbitraries.strings().alpha().numeric().ofLength(1))
                .as((a, b, c) -> a + b + c));
    return Arbitraries.maps(labelNames, labelValues).ofMaxSize(4);
  }

  @Provide
  Arbitrary<MigrationPolicy> policies() {
    Arbitrary<java.util.Map<String, String>> selectors = labels();
    return Builders.withBuilder(MigrationPolicy::builder)
        .use(dnsNames())
        .in((b, v) -> b.name(v))
        .use(selectors)
        .in((b, v) -> b.namespaceSelector(v))
        .use(selectors)
        .in((b, v) -> b.virtualMachineInstanceSelector(v))
        .use(Arbitraries.of(true, false))
        .withProbability(0.5)
        .in((b, v) -> b.allowAutoConverge(v))
        .use(bandwidths())
        .withProbability(0.5)
        .in((b, v) -> b.bandwidthPerMigration(v))
        .use(wholeSeconds())
        .withProbability(0.5)
        .in((b, v) -> b.completionTimeoutPerGiB(v))
        .use(Arbitraries.of(true, false))
        .withProbability(0.5)
        .in((b, v) -> b.allowPostCopy(v))
        .use(Arbitraries.of(true, false))
        .withProbability(0.5)
        .in((b, v) -> b.allowWorkloadDisruption(v))
        .use(Arbitraries.longs().between(1, MigrationConfiguration.MAX_DOWNTIME_MS_LIMIT))
        .withProbability(0.5)
        .in((b, v) -> b.maxDowntimeMs(v))
        .use(experimentals())
        .withProbability(0.3)
        .in((b, v) -> b.experimental(v))
        .build(MigrationPolicy.Builder::build);
  }

  @Provide
  Arbitrary<VirtualMachineInstanceMigration> migrations() {
    return Builders.withBuilder(VirtualMachineInstanceMigration::builder)
        .use(dnsNames())
        .in((b, v) -> b.name(v))
        .use(dnsLabels().filter(l -> l.length() <= 63))
        .withProbability(0.6)
        .in((b, v) -> b.namespace(v))
        .use(dnsNames())
        .in((b, v) -> b.vmiName(v))
        .use(Arbitraries.of(dev.livemigration.api.MigrationPriority.class))
        .withProbability(0.5)
        .in((b, v) -> b.priority(v))
        .use(labels())
        .in((b, v) -> b.addedNodeSelector(v))
        .build(VirtualMachineInstanceMigration.Builder::build);
  }

  @Provide
  Arbitrary<MigrationState> states() {
    Arbitrary<Integer> ports = Arbitraries.integers().between(0, 65535);
    return Builders.withBuilder(MigrationState::builder)
        .use(nonBlankText())
        .in((b, v) -> b.migrationUid(v))
        .use(Arbitraries.of(MigrationPhase.class))
        .withProbability(0.7)
        .in((b, v) -> b.phase(v))
        // POST_COPY_PAUSED is written as KubeVirt's Paused: not a round trip by design.
        .use(Arbitraries.of(MigrationMode.PRE_COPY, MigrationMode.POST_COPY, MigrationMode.PAUSED))
        .withProbability(0.7)
        .in((b, v) -> b.mode(v))
        .use(instants())
        .withProbability(0.6)
        .in((b, v) -> b.startTimestamp(v))
        .use(instants())
        .withProbability(0.6)
        .in((b, v) -> b.endTimestamp(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.completed(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.failed(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.abortRequested(v))
        .use(Arbitraries.of(AbortStatus.class))
        .withProbability(0.5)
        .in((b, v) -> b.abortStatus(v))
        .use(Arbitraries.of(dev.livemigration.api.MigrationNetworkType.class))
        .withProbability(0.5)
        .in((b, v) -> b.migrationNetworkType(v))
        .use(anyText())
        .withProbability(0.5)
        .in((b, v) -> b.failureReason(v))
        .use(configurations())
        .withProbability(0.5)
        .in((b, v) -> b.migrationConfig(v))
        .use(anyText())
        .withProbability(0.5)
        .in((b, v) -> b.migrationPolicyName(v))
        .use(anyText())
        .withProbability(0.5)
        .in((b, v) -> b.sourceNode(v))
        .use(anyText())
        .withProbability(0.5)
        .in((b, v) -> b.targetNode(v))
        .use(anyText())
        .withProbability(0.5)
        .in((b, v) -> b.targetNodeAddress(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.targetNodeDomainDetected(v))
        .use(anyText())
        .withProbability(0.5)
        .in((b, v) -> b.targetPod(v))
        .use(Arbitraries.maps(ports, ports).ofMaxSize(4))
        .in((b, v) -> b.targetDirectMigrationNodePorts(v))
        .build(MigrationState.Builder::build);
  }

  @Provide
  Arbitrary<KubeVirt> kubeVirts() {
    return Builders.withBuilder(KubeVirt::builder)
        .use(dnsNames())
        .withProbability(0.5)
        .in((b, v) -> b.name(v))
        .use(dnsLabels().filter(l -> l.length() <= 63))
        .withProbability(0.5)
        .in((b, v) -> b.namespace(v))
        .use(nonBlankText().list().ofMaxSize(4))
        .in((b, v) -> b.featureGates(v))
        .use(configurations())
        .withProbability(0.7)
        .in((b, v) -> b.migrations(v))
        .build(KubeVirt.Builder::build);
  }

  @Provide
  Arbitrary<VirtualMachineInstanceStatus> statuses() {
    Arbitrary<Condition> conditions =
        Builders.withBuilder(Condition::builder)
            .use(nonBlankText())
            .in((b, v) -> b.type(v))
            .use(Arbitraries.of(ConditionStatus.class))
            .in((b, v) -> b.status(v))
            .use(anyText())
            .withProbability(0.5)
            .in((b, v) -> b.reason(v))
            .use(anyText())
            .withProbability(0.5)
            .in((b, v) -> b.message(v))
            .build(Condition.Builder::build);
    return Builders.withBuilder(VirtualMachineInstanceStatus::builder)
        .use(conditions.list().ofMaxSize(3))
        .in((b, v) -> b.conditions(v))
        .use(Arbitraries.of(MigrationMethod.class))
        .withProbability(0.5)
        .in((b, v) -> b.migrationMethod(v))
        .use(states())
        .withProbability(0.5)
        .in((b, v) -> b.migrationState(v))
        .build(VirtualMachineInstanceStatus.Builder::build);
  }
}
