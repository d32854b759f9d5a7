package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.manifest.ManifestException.Problem;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("A file or reader that is not a UTF-8 manifest is one ManifestException in words")
class ManifestsInputTest {
  private static final String KUBEVIRT =
      "apiVersion: kubevirt.io/v1\nkind: KubeVirt\nmetadata:\n  name: kv # caf\u00e9\n";

  @TempDir Path directory;

  private static ManifestException thrown(Executable read) {
    ManifestException e = catchThrowableOfType(ManifestException.class, read::execute);
    assertThat(e).as("a ManifestException").isNotNull();
    assertThat(e.getMessage()).doesNotContain("Exception", "Input length", "java.");
    return e;
  }

  private static List<String> messages(ManifestException e) {
    return e.problems().stream().map(Problem::message).toList();
  }

  @Test
  @DisplayName("Latin-1 names the byte, its line and column")
  void latin1() throws IOException {
    Path file = Files.write(directory.resolve("latin1.yaml"), KUBEVIRT.getBytes("ISO-8859-1"));

    ManifestException e = thrown(() -> Manifests.read(file, KubeVirt.class));

    assertThat(e.getMessage()).startsWith("1 problem in manifest " + file + ":");
    assertThat(messages(e))
        .containsExactly(
            "the file is not UTF-8 at byte 69 (line 4, column 17): the byte 0xE9 cannot be read as"
                + " UTF-8; it may be Latin-1 or another encoding, but a manifest must be UTF-8");
  }

  @Test
  @DisplayName("an invalid byte in the middle of a valid file, read as every document")
  void invalidByte() throws IOException {
    byte[] bytes = "kind: KubeVirt\n# \u00ff\n".getBytes(StandardCharsets.UTF_8);
    bytes[bytes.length - 2] = (byte) 0xC0;
    Path file = Files.write(directory.resolve("bad.yaml"), bytes);

    assertThat(messages(thrown(() -> Manifests.readAll(file))))
        .singleElement()
        .asString()
        .startsWith("the file is not UTF-8 at byte 18 (line 2, column 3): the byte 0xC3");
  }

  @Test
  @DisplayName("UTF-16 with a byte order mark is named as such")
  void utf16() throws IOException {
    Path file = Files.write(directory.resolve("utf16.yaml"), KUBEVIRT.getBytes("UTF-16"));

    assertThat(messages(thrown(() -> Manifests.readVirtualMachineInstances(file))))
        .containsExactly(
            "the file is UTF-16 (it starts with a UTF-16 byte order mark) but it must be UTF-8");
  }

  @Test
  @DisplayName("UTF-16 without a byte order mark: its first NUL byte, with a line and column")
  void utf16WithoutMark() throws IOException {
    Path ascii =
        Files.write(directory.resolve("ascii.yaml"), "kind: KubeVirt\n".getBytes("UTF-16LE"));
    Path accented = Files.write(directory.resolve("utf16le.yaml"), KUBEVIRT.getBytes("UTF-16LE"));

    assertThat(messages(thrown(() -> Manifests.read(accented))))
        .singleElement()
        .asString()
        .startsWith("the file is not UTF-8 at byte 137 (line 4, column 34)")
        .contains("it may be UTF-16 (it has NUL bytes)");
    assertThat(messages(thrown(() -> Manifests.read(ascii))))
        .containsExactly(
            "YAML syntax error at line 1, column 2: the character U+0000 (NUL) is not allowed in"
                + " YAML; a NUL byte often means that the file is UTF-16, but it must be UTF-8");
  }

  @Test
  @DisplayName("a missing file and a directory")
  void missingAndDirectory() {
    Path missing = directory.resolve("missing.yaml");

    assertThat(messages(thrown(() -> Manifests.read(missing, KubeVirt.class))))
        .containsExactly("there is no such file");
    assertThat(messages(thrown(() -> Manifests.readAll(directory))))
        .containsExactly("the file is a directory but it must be a manifest file");
  }

  @Test
  @DisplayName("a reader that refuses its bytes (as Files.newBufferedReader does)")
  void strictReader() throws IOException {
    Path file = Files.write(directory.resolve("latin1.yaml"), KUBEVIRT.getBytes("ISO-8859-1"));

    try (Reader reader = Files.newBufferedReader(file)) {
      assertThat(messages(thrown(() -> Manifests.read(reader))))
          .singleElement()
          .asString()
          .startsWith("the text is not valid in the reader's character set");
    }
  }

  @Test
  @DisplayName("UTF-8, with or without a byte order mark, reads")
  void utf8() throws IOException {
    Path file =
        Files.write(
            directory.resolve("bom.yaml"), ("\uFEFF" + KUBEVIRT).getBytes(StandardCharsets.UTF_8));

    assertThat(Manifests.read(file, KubeVirt.class).name()).isEqualTo("kv");
    try (Reader reader =
        new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8)) {
      assertThat(Manifests.read(reader, KubeVirt.class).name()).isEqualTo("kv");
    }
  }
}
