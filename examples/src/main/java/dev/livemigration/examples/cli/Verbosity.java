package dev.livemigration.examples.cli;

import java.util.Map;
import picocli.CommandLine.ParseResult;

/**
 * How much of the library's log the CLI shows on standard error: warnings only by default (the
 * result is what a person reads), the INFO log with {@code -v}, and this library's debug log with
 * {@code -vv}. slf4j-simple reads its levels once, when the first logger is made, so they are set
 * as system properties after parsing the command line and before the engine exists; levels a user
 * set with {@code -Dorg.slf4j.simpleLogger...} are kept unless {@code -v} is given.
 */
final class Verbosity {
  static final String DEFAULT_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
  static final String LIBRARY_LEVEL = "org.slf4j.simpleLogger.log.dev.livemigration";

  private Verbosity() {}

  /** How many times {@code -v} was given, on the root command and the subcommands. */
  static int count(ParseResult parsed) {
    int count = 0;
    for (ParseResult level = parsed; level != null; level = level.subcommand()) {
      boolean[] flags = level.matchedOptionValue("--verbose", new boolean[0]);
      count += flags.length;
    }
    return count;
  }

  /** The slf4j-simple properties for {@code count} times {@code -v}. */
  static Map<String, String> levels(int count) {
    if (count <= 0) {
      return Map.of(DEFAULT_LEVEL, "warn");
    }
    if (count == 1) {
      return Map.of(DEFAULT_LEVEL, "info");
    }
    return Map.of(DEFAULT_LEVEL, "info", LIBRARY_LEVEL, "debug");
  }

  /** Sets the levels for {@code count} times {@code -v}, before the first logger is made. */
  static void apply(int count) {
    if (count == 0 && System.getProperty(DEFAULT_LEVEL) != null) {
      return;
    }
    levels(count).forEach(System::setProperty);
  }
}
