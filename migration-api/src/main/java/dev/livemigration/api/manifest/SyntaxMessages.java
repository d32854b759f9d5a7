package dev.livemigration.api.manifest;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.reader.ReaderException;

/**
 * Phrases the syntax errors of Jackson and SnakeYAML in the user's terms: a line and column and
 * what is wrong with the text, never a parser's feature names, API hints or class names.
 */
final class SyntaxMessages {
  private static final Pattern SOURCE_NOISE =
      Pattern.compile("\\s*\\(?(start marker )?at \\[Source:[^\\]]*\\]\\)?");
  private static final Pattern CONSTRAINT_NOISE = Pattern.compile(", from `[^`]*`");
  private static final Pattern YAML_EVENT =
      Pattern.compile("<org\\.yaml\\.snakeyaml\\.events\\.(\\w+?)Event\\([^>]*\\)>");

  /** SnakeYAML's token names, and what they are in a YAML text. */
  private static final String[][] YAML_TOKENS = {
    {"'<block mapping start>'", "a new map"},
    {"<block mapping start>", "a new map"},
    {"'<block sequence start>'", "a new list"},
    {"<block sequence start>", "a new list"},
    {"'<block end>'", "the end of an indented block"},
    {"<block end>", "the end of an indented block"},
    {"'<stream end>'", "the end of the text"},
    {"<stream end>", "the end of the text"},
    {"'<document start>'", "'---'"},
    {"<document start>", "'---'"},
    {"'<document end>'", "'...'"},
    {"<document end>", "'...'"},
  };

  /** Jackson's hints at its own switches: {@code : enable `JsonReadFeature.X` to allow}. */
  private static final Pattern FEATURE_HINT =
      Pattern.compile(
          "\\s*(:\\s*)?(\\(?[^():]*Feature '[A-Z_]+' not enabled[^)]*\\)?|enable `[^`]*` to allow)");

  /** Jackson's character codes, as in {@code ('x' (code 120))}. */
  private static final Pattern CHARACTER_CODE = Pattern.compile("\\('(.+?)' \\(code \\d+\\)\\)");

  /** Jackson's messages, most specific first, each with its phrasing in the user's terms. */
  private static final List<Rewrite> JSON_REWRITES =
      List.of(
          rewrite("Non-standard token '([^']*)'.*", m -> m.group(1) + " is not a JSON value"),
          rewrite(
              "Unexpected character \\('/' \\(code 47\\)\\): maybe a \\(non-standard\\) comment.*",
              m -> "JSON does not allow comments"),
          rewrite(
              "Unexpected character \\('#' \\(code 35\\)\\).*",
              m -> "JSON does not allow comments"),
          rewrite(
              "Unexpected character \\('\\}' \\(code 125\\)\\): was expecting double-quote.*",
              m ->
                  "found '}' where a key in double quotes belongs; JSON does not allow a comma"
                      + " before '}'"),
          rewrite(
              "Unexpected character \\('(.+?)' \\(code \\d+\\)\\): expected a value.*",
              m -> "found '" + m.group(1) + "' where a value belongs"),
          rewrite(
              "Unexpected character \\('(.+?)' \\(code \\d+\\)\\): was expecting double-quote to"
                  + " start field name",
              m ->
                  (m.group(1).equals("'") ? "found a single quote" : "found '" + m.group(1) + "'")
                      + " where a key in double quotes belongs"),
          rewrite(
              "Unexpected character \\('\\+' \\(code 43\\)\\) in numeric value.*",
              m -> "JSON numbers must not start with '+'"),
          rewrite(
              "Illegal unquoted character \\(\\(CTRL-CHAR, code (\\d+)\\)\\).*",
              m ->
                  "the control character "
                      + codePoint(Integer.parseInt(m.group(1)))
                      + " must be written as an escape in a JSON string"),
          rewrite(
              "Unrecognized character escape '(.+?)' \\(code \\d+\\)",
              m -> "\\" + m.group(1) + " is not a JSON escape"),
          rewrite(
              "Unrecognized token '([^']*)': was expecting.*",
              m ->
                  "'"
                      + m.group(1)
                      + "' is not a JSON value; a value is a string in double quotes, a number,"
                      + " a map, a list, true, false or null"),
          rewrite(
              "Unexpected end-of-input within/between Object entries.*",
              m -> "the text ends inside a map"),
          rewrite(
              "Unexpected end-of-input within/between Array entries.*",
              m -> "the text ends inside a list"),
          rewrite("Unexpected end-of-input.*", m -> "the text ends too early"),
          rewrite(
              "(Broken surrogate pair|Unexpected (low|high) surrogate).*",
              m -> "a \\u escape gives half of a surrogate pair without the other half"),
          rewrite(
              "Invalid numeric value: Leading zeroes not allowed.*",
              m -> "JSON numbers must not start with 0"));

  private record Rewrite(Pattern pattern, Function<Matcher, String> phrase) {}

  private SyntaxMessages() {}

  private static Rewrite rewrite(String regex, Function<Matcher, String> phrase) {
    return new Rewrite(Pattern.compile(regex, Pattern.DOTALL), phrase);
  }

  /**
   * Phrases a syntax error with its line and column and a short reason; {@code text} is the text
   * that was parsed.
   */
  static String syntaxError(String format, JsonProcessingException e, String text) {
    MarkedYAMLException marked = causeOf(e, MarkedYAMLException.class);
    if (marked != null && marked.getProblemMark() != null) {
      Mark mark = marked.getProblemMark();
      StringBuilder message =
          new StringBuilder(
              at(format, mark.getLine() + 1, mark.getColumn() + 1)
                  + clean(marked.getProblem() == null ? "" : marked.getProblem()));
      Mark contextMark = marked.getContextMark();
      if (marked.getContext() != null && contextMark != null) {
        message
            .append(" (")
            .append(clean(marked.getContext()))
            .append(" at line ")
            .append(contextMark.getLine() + 1)
            .append(", column ")
            .append(contextMark.getColumn() + 1)
            .append(')');
      }
      return message.toString();
    }
    YAMLException yaml = causeOf(e, YAMLException.class);
    if (yaml != null) {
      return yamlError(yaml, text);
    }
    JsonLocation location = e.getLocation();
    String reason = json(e.getOriginalMessage());
    if (location == null || location.getLineNr() < 1) {
      return format + " syntax error: " + reason;
    }
    return at(format, location.getLineNr(), location.getColumnNr()) + reason;
  }

  /** Phrases an error of SnakeYAML that has no mark, such as a character YAML does not allow. */
  static String yamlError(YAMLException e, String text) {
    ReaderException reader = causeOf(e, ReaderException.class);
    if (reader != null) {
      return notAllowed(text);
    }
    return "YAML could not be read: " + clean(e.getMessage());
  }

  /**
   * Returns the problem of the first character that YAML does not allow in {@code text}, with its
   * line and column: SnakeYAML's own message has neither.
   */
  private static String notAllowed(String text) {
    int line = 1;
    int column = 1;
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      boolean unpaired = Character.isSurrogate((char) c);
      if (unpaired || !printable(c)) {
        return at("YAML", line, column)
            + "the character "
            + codePoint(c)
            + " is not allowed in YAML"
            + (c == 0
                ? "; a NUL byte often means that the file is UTF-16, but it must be UTF-8"
                : "");
      }
      if (c == '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
      i += Character.charCount(c);
    }
    return "YAML could not be read: it has a character that YAML does not allow";
  }

  /** SnakeYAML's rule for the characters a YAML text may hold. */
  private static boolean printable(int c) {
    return c >= 0x20 && c <= 0x7E
        || c == 0x9
        || c == 0xA
        || c == 0xD
        || c == 0x85
        || c >= 0xA0 && c <= 0xD7FF
        || c >= 0xE000 && c <= 0xFFFD
        || c >= 0x10000 && c <= 0x10FFFF;
  }

  private static String codePoint(int c) {
    String name = c == 0 ? " (NUL)" : "";
    return String.format(Locale.ROOT, "U+%04X", c) + name;
  }

  private static String at(String format, int line, int column) {
    return format + " syntax error at line " + line + ", column " + column + ": ";
  }

  /** Phrases one of Jackson's messages in the user's terms. */
  static String json(@Nullable String message) {
    String line = clean(message);
    for (Rewrite rewrite : JSON_REWRITES) {
      Matcher matcher = rewrite.pattern().matcher(line);
      if (matcher.matches()) {
        return rewrite.phrase().apply(matcher);
      }
    }
    line = FEATURE_HINT.matcher(line).replaceAll("");
    line =
        CHARACTER_CODE
            .matcher(line)
            .replaceAll(m -> Matcher.quoteReplacement("'" + m.group(1) + "'"));
    return line.strip();
  }

  static <T extends Throwable> @Nullable T causeOf(Throwable e, Class<T> type) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (type.isInstance(cause)) {
        return type.cast(cause);
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return null;
  }

  /** Keeps the first line of a parser message and drops source descriptions and API hints. */
  static String clean(@Nullable String message) {
    if (message == null || message.isBlank()) {
      return "the text is not well-formed";
    }
    String line = message.strip();
    int newline = line.indexOf('\n');
    if (newline >= 0) {
      line = line.substring(0, newline);
    }
    line = SOURCE_NOISE.matcher(line).replaceAll("");
    line = CONSTRAINT_NOISE.matcher(line).replaceAll("");
    line = FEATURE_HINT.matcher(line).replaceAll("");
    line =
        line.replace(
            "Expected a field name (Scalar value in YAML), got this instead: ",
            "expected a key but found ");
    line = YAML_EVENT.matcher(line).replaceAll(m -> eventName(m.group(1)));
    for (String[] token : YAML_TOKENS) {
      line = line.replace(token[0], token[1]);
    }
    return line.strip();
  }

  private static String eventName(String event) {
    switch (event) {
      case "SequenceStart":
        return "a list";
      case "MappingStart":
        return "a map";
      default:
        return "'" + event + "'";
    }
  }
}
