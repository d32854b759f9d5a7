package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livemigration.api.manifest.ManifestException.Problem;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Syntax errors say what is wrong in the user's terms, never the parser's")
class ManifestsSyntaxMessagesTest {
  private static List<String> messages(String text) {
    ManifestException e = catchThrowableOfType(ManifestException.class, () -> Manifests.read(text));
    assertThat(e).as("reading should fail:\n%s", text).isNotNull();
    return e.problems().stream().map(Problem::message).toList();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"kind\": NaN}",
        "{\"kind\": -Infinity}",
        "{ // a comment\n\"kind\": 1}",
        "{ /* a comment */ \"kind\": 1}",
        "{ # a comment\n\"kind\": 1}",
        "{\"kind\": +1}",
        "{'kind': 1}",
        "{kind: 1}",
        "{\"kind\": 1,}",
        "[1, ]",
        "{\"kind\": 01}",
        "{\"kind\": \"a\tb\"}",
        "{\"kind\": \"a\\qb\"}",
        "{\"kind\": 1} x",
        "{\"\\ud800x\": 1}",
        "{\"\\udc00\": 1}",
        "a:\n  b: 1\n c: 2\n",
        "kind: [a\n",
      })
  @DisplayName("no feature names, API hints, character codes or token names")
  void noParserInternals(String text) {
    assertThat(messages(text))
        .singleElement()
        .asString()
        .doesNotContain(
            "Feature", "enable `", "ALLOW_", "(code ", "CTRL-CHAR", "<block", "<stream", "Token");
  }

  @Test
  @DisplayName("NaN, comments and a leading plus, as a user would put it")
  void phrased() {
    assertThat(messages("{\"kind\": NaN}"))
        .containsExactly("JSON syntax error at line 1, column 13: NaN is not a JSON value");
    assertThat(messages("{\n  // a comment\n  \"kind\": 1}"))
        .containsExactly("JSON syntax error at line 2, column 3: JSON does not allow comments");
    assertThat(messages("{\"kind\": +1}"))
        .containsExactly(
            "JSON syntax error at line 1, column 11: JSON numbers must not start with '+'");
  }

  @Test
  @DisplayName("a NUL byte in YAML gets its line and column")
  void nulInYaml() {
    assertThat(messages("apiVersion: v1\nkind: a\u0000b\n"))
        .containsExactly(
            "YAML syntax error at line 2, column 8: the character U+0000 (NUL) is not allowed in"
                + " YAML; a NUL byte often means that the file is UTF-16, but it must be UTF-8");
    assertThat(messages("kind: a\u0007b\n"))
        .containsExactly(
            "YAML syntax error at line 1, column 8: the character U+0007 is not allowed in YAML");
  }

  @Test
  @DisplayName("a NUL character in JSON gets its line and column")
  void nulInJson() {
    assertThat(messages("{\n\"kind\": \"a\u0000b\"}"))
        .containsExactly(
            "JSON syntax error at line 2, column 11: the control character U+0000 (NUL) must be"
                + " written as an escape in a JSON string");
  }

  @Test
  @DisplayName("unpaired surrogates in values and keys are escaped in messages")
  void unpairedSurrogates() {
    List<String> messages =
        messages(
            "apiVersion: kubevirt.io/v1\nkind: KubeVirt\nspec:\n  configuration:\n"
                + "    migrations:\n      \"\\udc00\": 1\n"
                + "      bandwidthPerMigration: \"x\\ud800\"\n");

    assertThat(messages)
        .hasSize(2)
        .allSatisfy(
            m ->
                assertThat(m.chars().filter(c -> Character.isSurrogate((char) c)).count())
                    .isZero());
    assertThat(messages.get(0)).startsWith("spec.configuration.migrations.\\udc00 is not a known");
    assertThat(messages.get(1)).contains("was 'x\\ud800' but it");
  }
}
