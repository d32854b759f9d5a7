package dev.livemigration.api.manifest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.livemigration.api.manifest.ManifestException.Problem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Parses YAML or JSON text into {@link Tree} documents, with limits that keep hostile input
 * harmless, and turns syntax errors into a {@link ManifestException} with a short reason.
 */
final class TreeParser {
  /** The longest text accepted: 10 MiB of characters. */
  static final int MAX_CHARS = 10 * 1024 * 1024;

  /** The deepest nesting of maps and lists accepted; manifests need fewer than 10 levels. */
  static final int MAX_DEPTH = 64;

  /**
   * The longest YAML line accepted: SnakeYAML scans a long run of text in time that grows with the
   * square of its length, so one 10 MiB line would take many seconds.
   */
  static final int MAX_YAML_LINE = 64 * 1024;

  /** How many aliases SnakeYAML may expand into collections (aliases are refused anyway). */
  private static final int MAX_ALIASES = 10;

  private static final YAMLFactory YAML = yamlFactory();
  private static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(constraints())
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .build();

  private TreeParser() {}

  /**
   * One document of the text, with the problems found while parsing it (keys given twice, YAML
   * aliases).
   */
  record Document(Tree root, List<Problem> problems) {}

  /**
   * Parses every document of {@code text}: as JSON if it starts with <code>{</code> or {@code [},
   * as YAML (documents separated by {@code ---}) otherwise.
   *
   * @throws ManifestException if the text is too long or is not well-formed YAML or JSON
   */
  static List<Document> parse(String input, @Nullable String source) {
    if (input.length() > MAX_CHARS) {
      throw tooLong(input.length() + " characters", source);
    }
    String text = input.startsWith("\uFEFF") ? input.substring(1) : input;
    if (looksLikeJson(text)) {
      return parse(JSON, "JSON", text, source);
    }
    checkLineLengths(text, source);
    return parse(YAML, "YAML", text, source);
  }

  /** Returns the exception for a text over {@link #MAX_CHARS}. */
  static ManifestException tooLong(String size, @Nullable String source) {
    return new ManifestException(
        source,
        List.of(
            new Problem(
                "",
                null,
                "the manifest has "
                    + size
                    + " but it must have at most "
                    + MAX_CHARS
                    + " (10 MiB)")));
  }

  private static void checkLineLengths(String text, @Nullable String source) {
    int line = 1;
    int start = 0;
    for (int i = 0; i <= text.length(); i++) {
      if (i == text.length() || text.charAt(i) == '\n' || text.charAt(i) == '\r') {
        if (i - start > MAX_YAML_LINE) {
          throw single(
              source,
              "line "
                  + line
                  + " has "
                  + (i - start)
                  + " characters but YAML lines must have at most "
                  + MAX_YAML_LINE);
        }
        if (i < text.length() && text.charAt(i) == '\n') {
          line++;
        } else if (i < text.length() && (i + 1 == text.length() || text.charAt(i + 1) != '\n')) {
          line++;
        }
        start = i + 1;
      }
    }
  }

  private static boolean looksLikeJson(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!Character.isWhitespace(c)) {
        return c == '{' || c == '[';
      }
    }
    return false;
  }

  private static List<Document> parse(
      JsonFactory factory, String format, String text, @Nullable String source) {
    List<Document> documents = new ArrayList<>();
    try (JsonParser parser = factory.createParser(text)) {
      for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
        Problems problems = new Problems();
        Tree root = read(parser, token, "", problems);
        documents.add(new Document(root, problems.list()));
      }
    } catch (StreamConstraintsException e) {
      throw single(
          source, "the manifest exceeds a limit: " + SyntaxMessages.clean(e.getOriginalMessage()));
    } catch (JsonProcessingException e) {
      throw single(source, SyntaxMessages.syntaxError(format, e, text));
    } catch (YAMLException e) {
      throw single(source, SyntaxMessages.yamlError(e, text));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read manifest text", e);
    }
    return documents;
  }

  private static Tree read(
      JsonParser parser, @Nullable JsonToken token, String path, Problems problems)
      throws IOException {
    if (token == null) {
      throw new JsonParseException(parser, "unexpected end of input");
    }
    switch (token) {
      case START_OBJECT:
        return readMapping(parser, path, problems);
      case START_ARRAY:
        List<Tree> items = new ArrayList<>();
        for (JsonToken item = parser.nextToken();
            item != JsonToken.END_ARRAY;
            item = parser.nextToken()) {
          items.add(read(parser, item, Problems.index(path, items.size()), problems));
        }
        return new Tree.Sequence(items);
      case VALUE_STRING:
        if (parser instanceof YAMLParser yaml && yaml.isCurrentAlias()) {
          problems.add(
              new Problem(
                  path,
                  "*" + parser.getText(),
                  (path.isEmpty() ? "the document" : path)
                      + " is the YAML alias *"
                      + parser.getText()
                      + " but aliases are not supported; write the value out"));
          return new Tree.Scalar(Tree.ScalarType.NULL, "", null, null);
        }
        return new Tree.Scalar(Tree.ScalarType.STRING, parser.getText(), null, null);
      case VALUE_NUMBER_INT:
        return new Tree.Scalar(
            Tree.ScalarType.INTEGER, parser.getText(), parser.getBigIntegerValue(), null);
      case VALUE_NUMBER_FLOAT:
        return new Tree.Scalar(Tree.ScalarType.FLOAT, parser.getText(), null, null);
      case VALUE_TRUE:
        return new Tree.Scalar(Tree.ScalarType.BOOLEAN, parser.getText(), null, Boolean.TRUE);
      case VALUE_FALSE:
        return new Tree.Scalar(Tree.ScalarType.BOOLEAN, parser.getText(), null, Boolean.FALSE);
      case VALUE_NULL:
        return new Tree.Scalar(Tree.ScalarType.NULL, "", null, null);
      default:
        // VALUE_EMBEDDED_OBJECT, such as a YAML !!binary scalar: keep its text.
        String text = parser.getText();
        return new Tree.Scalar(Tree.ScalarType.STRING, text == null ? "" : text, null, null);
    }
  }

  private static Tree readMapping(JsonParser parser, String path, Problems problems)
      throws IOException {
    List<Tree.Entry> entries = new ArrayList<>();
    Map<String, String> firstKeys = new HashMap<>();
    for (JsonToken token = parser.nextToken();
        token != JsonToken.END_OBJECT;
        token = parser.nextToken()) {
      if (token != JsonToken.FIELD_NAME) {
        throw new JsonParseException(parser, "expected a key but found " + token);
      }
      String key = parser.currentName();
      String keyPath = Problems.child(path, key);
      Tree value = read(parser, parser.nextToken(), keyPath, problems);
      String firstKey = firstKeys.putIfAbsent(key, key);
      if (firstKey == null) {
        entries.add(new Tree.Entry(key, value));
      } else {
        problems.duplicate(keyPath, firstKey);
      }
    }
    return new Tree.Mapping(entries);
  }

  private static ManifestException single(@Nullable String source, String message) {
    return new ManifestException(source, List.of(new Problem("", null, message)));
  }

  private static StreamReadConstraints constraints() {
    return StreamReadConstraints.builder()
        .maxNestingDepth(MAX_DEPTH)
        .maxDocumentLength(MAX_CHARS)
        .maxStringLength(MAX_CHARS)
        .build();
  }

  private static YAMLFactory yamlFactory() {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(MAX_ALIASES);
    options.setNestingDepthLimit(MAX_DEPTH);
    options.setCodePointLimit(MAX_CHARS);
    options.setAllowRecursiveKeys(false);
    return YAMLFactory.builder()
        .loaderOptions(options)
        .streamReadConstraints(constraints())
        .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
        .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
        .build();
  }
}
