package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import dev.livemigration.api.manifest.ManifestException.Problem;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Manifests rejects bad input")
class ManifestsBadInputTest {
  private static final String KUBEVIRT_HEADER =
      "apiVersion: kubevirt.io/v1\nkind: KubeVirt\nspec:\n  configuration:\n    migrations:\n";
  private static final String MIGRATIONS = "spec.configuration.migrations.";

  /** Reads a KubeVirt CR whose migrations block has these lines (indented 6 spaces). */
  private static ManifestException migrationsProblems(String... lines) {
    StringBuilder text = new StringBuilder(KUBEVIRT_HEADER);
    for (String line : lines) {
      text.append("      ").append(line).append('\n');
    }
    return problems(text.toString());
  }

  private static ManifestException problems(String text) {
    return problems(text, Object.class);
  }

  private static ManifestException problems(String text, Class<?> type) {
    ManifestException e =
        catchThrowableOfType(ManifestException.class, () -> Manifests.read(text, type));
    assertThat(e).as("reading should fail:\n%s", text).isNotNull();
    assertThat(e.getMessage()).doesNotContain("[Source", "com.fasterxml", "Jackson", "\tat ");
    return e;
  }

  private static List<String> messages(ManifestException e) {
    return e.problems().stream().map(Problem::message).toList();
  }

  @Nested
  @DisplayName("wrong types")
  class WrongTypes {
    @Test
    @DisplayName("a word where an integer belongs")
    void wordForInteger() {
      ManifestException e = migrationsProblems("parallelMigrationsPerCluster: five");

      assertThat(e.problems())
          .containsExactly(
              new Problem(
                  MIGRATIONS + "parallelMigrationsPerCluster",
                  "'five'",
                  MIGRATIONS
                      + "parallelMigrationsPerCluster was 'five' but it must be an integer"));
    }

    @Test
    @DisplayName("a fraction where an integer belongs")
    void fractionForInteger() {
      assertThat(messages(migrationsProblems("progressTimeout: 1.5")))
          .containsExactly(MIGRATIONS + "progressTimeout was 1.5 but it must be an integer");
    }

    @Test
    @DisplayName("an integer too large for an int")
    void integerTooLarge() {
      assertThat(messages(migrationsProblems("parallelOutboundMigrationsPerNode: 4294967296")))
          .containsExactly(
              MIGRATIONS
                  + "parallelOutboundMigrationsPerNode was 4294967296 but it must be between 0 and"
                  + " 4294967295");
    }

    @Test
    @DisplayName("a quoted boolean, which is a string")
    void quotedBoolean() {
      assertThat(messages(migrationsProblems("disableTLS: 'true'")))
          .containsExactly(
              MIGRATIONS + "disableTLS was 'true' but it must be a boolean (true or false)");
    }

    @Test
    @DisplayName("a number where a boolean belongs")
    void numberForBoolean() {
      assertThat(messages(migrationsProblems("allowPostCopy: 1")))
          .containsExactly(
              MIGRATIONS + "allowPostCopy was 1 but it must be a boolean (true or false)");
    }

    @Test
    @DisplayName("a map where a string belongs, and a string where a map belongs")
    void structures() {
      ManifestException e =
          problems(
              "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\n"
                  + "metadata: job\nspec:\n  vmiName: [a, b]\n");

      assertThat(messages(e))
          .containsExactly(
              "metadata was 'job' but it must be a map",
              "spec.vmiName was a list but it must be a string");
      assertThat(e.problems().get(1).value()).isNull();
    }

    @Test
    @DisplayName("a single feature gate instead of a list")
    void featureGatesNotAList() {
      ManifestException e =
          problems(
              "apiVersion: kubevirt.io/v1\nkind: KubeVirt\nspec:\n  configuration:\n"
                  + "    developerConfiguration:\n      featureGates: LiveMigration\n");

      assertThat(messages(e))
          .containsExactly(
              "spec.configuration.developerConfiguration.featureGates was 'LiveMigration' but"
                  + " it must be a list");
    }

    @Test
    @DisplayName("an unknown enum wire name lists the known ones")
    void unknownEnum() {
      assertThat(messages(problems("migrationUid: u\nphase: Flying\n", MigrationState.class)))
          .containsExactly(
              "phase was 'Flying' but it must be one of Pending, Scheduling, Scheduled,"
                  + " PreparingTarget, TargetReady, WaitingForSync, Synchronizing, Running, Succeeded,"
                  + " Failed");
    }

    @Test
    @DisplayName("a timestamp that is not RFC 3339")
    void badTimestamp() {
      assertThat(
              messages(
                  problems("migrationUid: u\nstartTimestamp: 29/03/2019\n", MigrationState.class)))
          .containsExactly(
              "startTimestamp was '29/03/2019' but it must be an RFC 3339 timestamp such as"
                  + " 2019-03-29T03:37:52Z");
    }

    @Test
    @DisplayName("a port that is not a number, and one out of range")
    void badPorts() {
      ManifestException e =
          problems(
              "migrationUid: u\ntargetDirectMigrationNodePorts:\n  http: 0\n  '35001': 70000\n",
              MigrationState.class);

      assertThat(messages(e))
          .containsExactly(
              "targetDirectMigrationNodePorts key was 'http' but it must be a port number",
              "targetDirectMigrationNodePorts[35001] was 70000 but it must be a TCP port between"
                  + " 0 and 65535");
    }
  }

  @Nested
  @DisplayName("kind and apiVersion")
  class Kinds {
    @Test
    @DisplayName("an unknown kind")
    void unknownKind() {
      ManifestException e = problems("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n");

      assertThat(e.problems())
          .containsExactly(
              new Problem(
                  "kind",
                  "'Pod'",
                  "kind was 'Pod' but it must be one of VirtualMachineInstanceMigration,"
                      + " KubeVirt, MigrationPolicy,"
                      + " VirtualMachineInstance, PersistentVolumeClaim"));
    }

    @Test
    @DisplayName("a missing kind")
    void missingKind() {
      assertThat(messages(problems("apiVersion: kubevirt.io/v1\nmetadata:\n  name: x\n")))
          .containsExactly(
              "kind is missing but it is required; it must be one of"
                  + " VirtualMachineInstanceMigration, KubeVirt, MigrationPolicy,"
                  + " VirtualMachineInstance, PersistentVolumeClaim");
    }

    @Test
    @DisplayName("a kind other than the type asked for")
    void otherKind() {
      assertThat(
              messages(
                  problems(GuideSnippets.text(GuideSnippets.MIGRATION), MigrationPolicy.class)))
          .containsExactly(
              "kind was 'VirtualMachineInstanceMigration' but it must be MigrationPolicy");
    }

    @Test
    @DisplayName("a wrong or missing apiVersion")
    void apiVersion() {
      assertThat(
              messages(
                  problems(
                      "apiVersion: kubevirt.io/v2\nkind: VirtualMachineInstanceMigration\n"
                          + "metadata:\n  name: a\nspec:\n  vmiName: b\n")))
          .containsExactly(
              "apiVersion was 'kubevirt.io/v2' but it must be kubevirt.io/v1 or"
                  + " kubevirt.io/v1alpha3 for kind VirtualMachineInstanceMigration");
      assertThat(messages(problems("kind: MigrationPolicy\nmetadata:\n  name: a\n")))
          .containsExactly(
              "apiVersion is missing but it is required; it must be"
                  + " migrations.kubevirt.io/v1alpha1 for kind MigrationPolicy");
    }

    @Test
    @DisplayName("a document that is not a map")
    void notAMap() {
      assertThat(messages(problems("- a\n- b\n")))
          .containsExactly(
              "the document was a list but it must be a map with apiVersion, kind, metadata and"
                  + " spec");
      assertThat(messages(problems("just words")))
          .containsExactly(
              "the document was 'just words' but it must be a map with apiVersion, kind,"
                  + " metadata and spec");
    }

    @Test
    @DisplayName("an empty manifest, or more than one document")
    void documentCount() {
      assertThat(messages(problems("")))
          .containsExactly("the manifest is empty but it must hold one document");
      assertThat(messages(problems("# only a comment\n---\n")))
          .containsExactly("the manifest is empty but it must hold one document");
      String two =
          GuideSnippets.text(GuideSnippets.MIGRATION)
              + "---\n"
              + GuideSnippets.text(GuideSnippets.MIGRATION);
      assertThat(messages(problems(two)))
          .containsExactly(
              "the manifest has 2 documents but it must have one; use readAll to read several");
    }
  }

  @Nested
  @DisplayName("values the model rejects")
  class Ranges {
    @Test
    @DisplayName("a negative bandwidth, as a quantity or as bytes")
    void negativeBandwidth() {
      assertThat(messages(migrationsProblems("bandwidthPerMigration: -1Mi")))
          .containsExactly(
              MIGRATIONS + "bandwidthPerMigration was '-1Mi' but it must not be negative");
      assertThat(messages(migrationsProblems("bandwidthPerMigration: -1")))
          .containsExactly(MIGRATIONS + "bandwidthPerMigration was -1 but it must not be negative");
    }

    @Test
    @DisplayName("a malformed quantity names the grammar")
    void malformedQuantity() {
      assertThat(messages(migrationsProblems("bandwidthPerMigration: 64MB")))
          .containsExactly(
              MIGRATIONS
                  + "bandwidthPerMigration was '64MB' but it must match <number><suffix> such as"
                  + " 64Mi, 1Gi or 500M");
    }

    @Test
    @DisplayName("a fraction of a byte")
    void fractionalBandwidth() {
      assertThat(messages(migrationsProblems("bandwidthPerMigration: 1500m")))
          .containsExactly(
              MIGRATIONS
                  + "bandwidthPerMigration was '1500m' but it must be a whole number of bytes up"
                  + " to 9223372036854775807");
    }

    @Test
    @DisplayName("zero parallel migrations and a zero timeout")
    void belowMinimum() {
      assertThat(
              messages(
                  migrationsProblems(
                      "parallelMigrationsPerCluster: 0", "completionTimeoutPerGiB: 0")))
          .containsExactly(
              MIGRATIONS + "parallelMigrationsPerCluster was 0 but it must be >= 1",
              MIGRATIONS
                  + "completionTimeoutPerGiB was 0 but it must be a positive number of seconds");
    }

    @Test
    @DisplayName("a missing vmiName")
    void missingVmiName() {
      ManifestException e =
          problems(
              "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\n"
                  + "metadata:\n  name: migration-job\nspec: {}\n",
              VirtualMachineInstanceMigration.class);

      assertThat(e.problems())
          .containsExactly(
              new Problem("spec.vmiName", null, "spec.vmiName is missing but it is required"));
    }

    @Test
    @DisplayName("a request with neither metadata nor spec")
    void missingEverything() {
      assertThat(
              messages(
                  problems("apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\n")))
          .containsExactly(
              "metadata.name is missing but it is required",
              "spec.vmiName is missing but it is required");
    }

    @Test
    @DisplayName("names that are not DNS-1123 names")
    void badNames() {
      assertThat(
              messages(
                  problems(
                      "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\n"
                          + "metadata:\n  name: Migration_Job\n  namespace: My NS\n"
                          + "spec:\n  vmiName: vmi-fedora\n")))
          .hasSize(2)
          .anySatisfy(
              m ->
                  assertThat(m)
                      .startsWith(
                          "metadata.name was 'Migration_Job' but it must be a DNS-1123 subdomain"))
          .anySatisfy(
              m ->
                  assertThat(m)
                      .startsWith(
                          "metadata.namespace was 'My NS' but it must be a DNS-1123 label"));
    }

    @Test
    @DisplayName("selector labels the model rejects, and an unknown spec key")
    void badPolicy() {
      ManifestException e =
          problems(
              "apiVersion: migrations.kubevirt.io/v1alpha1\nkind: MigrationPolicy\n"
                  + "metadata:\n  name: hpc\nspec:\n  selectors:\n    namespaceSelector:\n"
                  + "      'bad key': x\n    virtualMachineInstanceSelector:\n"
                  + "      workload: 'not ok!'\n  completionTimeoutPerGiB: -5\n  speed: fast\n");

      assertThat(messages(e))
          .hasSize(4)
          .anySatisfy(
              m ->
                  assertThat(m)
                      .startsWith(
                          "spec.selectors.namespaceSelector key was 'bad key' but it must be a"
                              + " label name"))
          .anySatisfy(
              m ->
                  assertThat(m)
                      .startsWith(
                          "spec.selectors.virtualMachineInstanceSelector[workload] was 'not ok!'"
                              + " but it must be a label value"))
          .contains(
              "spec.completionTimeoutPerGiB was -5 but it must be a positive number of seconds",
              "spec.speed is not a known field; known fields are selectors, allowAutoConverge,"
                  + " bandwidthPerMigration, completionTimeoutPerGiB, allowPostCopy,"
                  + " allowWorkloadDisruption, maxDowntimeMs, experimental");
    }

    @Test
    @DisplayName("a condition without type or status")
    void incompleteCondition() {
      assertThat(
              messages(
                  problems(
                      "conditions:\n  - reason: Nothing\n", VirtualMachineInstanceStatus.class)))
          .containsExactly(
              "conditions[0].type is missing but it is required",
              "conditions[0].status is missing but it is required");
    }

    @Test
    @DisplayName("a state without its uid")
    void missingUid() {
      assertThat(messages(problems("Migration State:\n  Completed: true\n", MigrationState.class)))
          .containsExactly("Migration State.migrationUid is missing but it is required");
    }
  }

  @Nested
  @DisplayName("unknown and repeated keys")
  class Keys {
    @Test
    @DisplayName("an unknown key in the migrations block lists the known fields")
    void unknownMigrationsKey() {
      assertThat(messages(migrationsProblems("bandwidth: 64Mi")))
          .containsExactly(
              MIGRATIONS
                  + "bandwidth is not a known field; known fields are parallelMigrationsPerCluster,"
                  + " parallelOutboundMigrationsPerNode, bandwidthPerMigration,"
                  + " completionTimeoutPerGiB, progressTimeout, disableTLS, nodeDrainTaintKey,"
                  + " allowAutoConverge, allowPostCopy, unsafeMigrationOverride, network,"
                  + " maxDowntimeMs, allowWorkloadDisruption, experimental");
    }

    @Test
    @DisplayName("a key given twice, also when it differs only in case or spaces")
    void duplicateKeys() {
      assertThat(messages(migrationsProblems("progressTimeout: 150", "Progress Timeout: 150")))
          .containsExactly(
              MIGRATIONS + "Progress Timeout is given more than once (first as 'progressTimeout')");
      assertThat(messages(problems("{\"kind\": \"KubeVirt\", \"kind\": \"KubeVirt\"}")))
          .contains("kind is given more than once (first as 'kind')");
    }

    @Test
    @DisplayName("the same field with different values in migrations and migrationConfiguration")
    void conflictingBlocks() {
      ManifestException e =
          problems(
              KUBEVIRT_HEADER
                  + "      disableTLS: false\n      progressTimeout: 150\n"
                  + "    migrationConfiguration:\n      disableTLS: true\n"
                  + "      progressTimeout: '150'\n");

      assertThat(messages(e))
          .containsExactly(
              "spec.configuration.migrationConfiguration.disableTLS was true but it must equal"
                  + " spec.configuration.migrations.disableTLS (false) when both are given");
    }
  }

  @Nested
  @DisplayName("several problems at once")
  class Several {
    @Test
    @DisplayName("lists every problem of the document, in order, under one summary")
    void listsAll() {
      ManifestException e =
          migrationsProblems(
              "parallelMigrationsPerCluster: five",
              "parallelOutboundMigrationsPerNode: 0",
              "bandwidthPerMigration: -1Mi",
              "completionTimeoutPerGiB: 1.5",
              "progressTimeout: soon",
              "disableTLS: 'yes'",
              "nodeDrainTaintKey: ' '",
              "network: Migration_Net",
              "allowPostCopy: maybe",
              "colour: blue");

      assertThat(e.problems())
          .extracting(Problem::path)
          .containsExactly(
              MIGRATIONS + "parallelMigrationsPerCluster",
              MIGRATIONS + "parallelOutboundMigrationsPerNode",
              MIGRATIONS + "bandwidthPerMigration",
              MIGRATIONS + "completionTimeoutPerGiB",
              MIGRATIONS + "progressTimeout",
              MIGRATIONS + "disableTLS",
              MIGRATIONS + "nodeDrainTaintKey",
              MIGRATIONS + "network",
              MIGRATIONS + "allowPostCopy",
              MIGRATIONS + "colour");
      assertThat(e.getMessage())
          .startsWith(
              "10 problems in manifest:\n"
                  + "  spec.configuration.migrations.parallelMigrationsPerCluster was 'five' but"
                  + " it must be an integer\n"
                  + "  spec.configuration.migrations.parallelOutboundMigrationsPerNode was 0 but"
                  + " it must be >= 1\n"
                  + "  spec.configuration.migrations.bandwidthPerMigration was '-1Mi' but it must"
                  + " not be negative\n");
      assertThat(e.getMessage().lines()).hasSize(11);
    }

    @Test
    @DisplayName("collects problems from metadata, spec and kind checks together")
    void acrossSections() {
      ManifestException e =
          problems(
              "apiVersion: kubevirt.io/v9\nkind: VirtualMachineInstanceMigration\n"
                  + "metadata:\n  namespace: Bad\nspec:\n  vmi: x\n");

      assertThat(e.problems()).hasSize(5);
      assertThat(e.getMessage()).startsWith("5 problems in manifest:\n");
      assertThat(messages(e))
          .contains(
              "metadata.name is missing but it is required",
              "spec.vmi is not a known field; known fields are vmiName, priority,"
                  + " addedNodeSelector",
              "spec.vmiName is missing but it is required");
    }
  }

  @Nested
  @DisplayName("syntax errors")
  class Syntax {
    @Test
    @DisplayName("YAML: one problem with line, column and a short reason")
    void yaml() {
      ManifestException e = problems("apiVersion: kubevirt.io/v1\nkind: KubeVirt\n  metadata: x\n");

      assertThat(e.problems()).hasSize(1);
      Problem problem = e.problems().get(0);
      assertThat(problem.path()).isEmpty();
      assertThat(problem.message())
          .isEqualTo("YAML syntax error at line 3, column 11: mapping values are not allowed here");
      assertThat(e.getMessage()).isEqualTo("1 problem in manifest:\n  " + problem.message());
    }

    @Test
    @DisplayName("YAML: an unclosed flow list names where it started")
    void unclosedList() {
      ManifestException e = problems("kind: KubeVirt\nfeatureGates: [a, b\n");

      assertThat(e.problems()).hasSize(1);
      assertThat(e.problems().get(0).message())
          .startsWith("YAML syntax error at line 3, column 1: expected ',' or ']'")
          .contains("while parsing a flow sequence at line 2, column 15")
          .doesNotContain("\n", "^");
    }

    @Test
    @DisplayName("YAML: a tab for indentation")
    void tab() {
      ManifestException e = problems("kind: KubeVirt\nspec:\n\tconfiguration: {}\n");

      assertThat(e.problems()).hasSize(1);
      assertThat(e.problems().get(0).message())
          .startsWith("YAML syntax error at line 3, column 1: ");
    }

    @Test
    @DisplayName("JSON: one problem with line, column and a short reason")
    void json() {
      ManifestException e = problems("{\n  \"kind\": \"KubeVirt\",\n  \"spec\": \n}\n");

      assertThat(e.problems()).hasSize(1);
      assertThat(e.problems().get(0).message())
          .isEqualTo("JSON syntax error at line 4, column 1: found '}' where a value belongs")
          .doesNotContain("Source", "\n");
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "{\"kind\": ",
          "{\"kind\" \"KubeVirt\"}",
          "[1, 2",
          "kind: 'KubeVirt",
          "kind: \"KubeVirt",
          "a:\n- b\n c: d",
          "? [a\n",
          "kind: KubeVirt\n!!binary x: y\n",
          "%YAML 9.9\n---\nkind: KubeVirt\n",
          "key: value\n@reserved\n",
        })
    @DisplayName("never shows Jackson's or SnakeYAML's raw text")
    void noRawParserText(String text) {
      ManifestException e = problems(text);

      assertThat(e.problems()).isNotEmpty();
      assertThat(e.getMessage())
          .doesNotContain("[Source", "JsonLocation", "com.fasterxml", "org.yaml", "\n    ^");
      e.problems().forEach(p -> assertThat(p.message()).doesNotContain("\n"));
    }
  }

  @Nested
  @DisplayName("hostile input")
  class Hostile {
    @Test
    @Timeout(10)
    @DisplayName("a billion-laughs document is refused at once: aliases are not supported")
    void billionLaughs() {
      StringBuilder text = new StringBuilder("kind: KubeVirt\na0: &a0 [lol, lol, lol, lol, lol]\n");
      for (int i = 1; i < 10; i++) {
        text.append('a').append(i).append(": &a").append(i).append(" [");
        for (int j = 0; j < 9; j++) {
          text.append(j == 0 ? "" : ", ").append("*a").append(i - 1);
        }
        text.append("]\n");
      }

      ManifestException e = problems(text.toString());

      assertThat(e.problems()).hasSizeLessThanOrEqualTo(Problems.MAX_LISTED + 1);
      assertThat(e.problems().get(0).message())
          .isEqualTo(
              "a1[0] is the YAML alias *a0 but aliases are not supported; write the value out");
    }

    @Test
    @DisplayName("a document over 10 MiB is refused before parsing")
    void tooLong() {
      String text = "kind: KubeVirt\n#" + "x".repeat(10 * 1024 * 1024) + "\n";

      assertThat(messages(problems(text)))
          .containsExactly(
              "the manifest has "
                  + text.length()
                  + " characters but it must have at most"
                  + " 10485760 (10 MiB)");
    }

    @Test
    @Timeout(10)
    @DisplayName("a YAML line over 64 KiB is refused before SnakeYAML scans it")
    void longLine() {
      String text = "kind: KubeVirt\nspec: " + "a".repeat(100_000) + "\n";

      assertThat(messages(problems(text)))
          .containsExactly("line 2 has 100006 characters but YAML lines must have at most 65536");
    }

    @Test
    @Timeout(10)
    @DisplayName("a quoted integer of millions of digits is refused without converting it")
    void hugeQuotedInteger() {
      String text =
          "{\"apiVersion\": \"kubevirt.io/v1\", \"kind\": \"KubeVirt\", \"spec\":"
              + " {\"configuration\": {\"migrations\": {\"progressTimeout\": \""
              + "7".repeat(5_000_000)
              + "\"}}}}";

      assertThat(messages(problems(text)))
          .singleElement()
          .asString()
          .startsWith(MIGRATIONS + "progressTimeout was '777")
          .endsWith("...' but it must be an integer of at most 100 digits");
    }

    @Test
    @DisplayName("deep nesting is refused")
    void deepNesting() {
      String text = "kind: KubeVirt\nspec: " + "[".repeat(200) + "]".repeat(200) + "\n";

      assertThat(messages(problems(text)))
          .singleElement()
          .asString()
          .startsWith(
              "the manifest exceeds a limit: Document nesting depth (65) exceeds the maximum"
                  + " allowed (64)");
    }

    @Test
    @DisplayName("deep JSON nesting is refused")
    void deepJsonNesting() {
      String text = "{\"a\":".repeat(1000) + "1" + "}".repeat(1000);

      assertThat(messages(problems(text))).singleElement().asString().contains("nesting depth");
    }

    @Test
    @DisplayName("a flood of problems is cut short")
    void manyProblems() {
      StringBuilder text = new StringBuilder(KUBEVIRT_HEADER);
      for (int i = 0; i < 500; i++) {
        text.append("      unknown").append(i).append(": 1\n");
      }

      ManifestException e = problems(text.toString());

      assertThat(e.problems()).hasSize(Problems.MAX_LISTED + 1);
      assertThat(e.problems().get(Problems.MAX_LISTED).message())
          .isEqualTo("and 400 more problems");
    }
  }

  @Nested
  @DisplayName("unsupported requests")
  class Unsupported {
    @Test
    @DisplayName("reading as a type that is not a manifest is a programming error")
    void unsupportedType() {
      assertThatThrownBy(() -> Manifests.read("kind: KubeVirt", Duration.class))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("java.time.Duration");
    }

    @Test
    @DisplayName("a KubeVirt CR is not a MigrationState")
    void wrongShape() {
      assertThat(
              messages(
                  problems(
                      GuideSnippets.text(GuideSnippets.KUBEVIRT_LIMITS), MigrationState.class)))
          .contains("migrationUid is missing but it is required")
          .anySatisfy(m -> assertThat(m).startsWith("apiVersion is not a known field"));
    }
  }
}
