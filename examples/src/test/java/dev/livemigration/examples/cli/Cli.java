package dev.livemigration.examples.cli;

import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;

/** Runs the CLI in the test's process and keeps what it printed. */
record Cli(int code, String out, String err) {

  /** Runs the CLI with these arguments and nothing on standard input. */
  static Cli run(String... args) {
    return runWithInput("", args);
  }

  /** Runs the CLI with this text on standard input. */
  static Cli runWithInput(String input, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        LiveMigrationCli.run(
            new StringReader(input), new PrintWriter(out), new PrintWriter(err), args);
    return new Cli(code, out.toString(), err.toString());
  }

  /** What was printed, for assertion messages. */
  @Override
  public String toString() {
    return "exit " + code + "\n--- out:\n" + out + "--- err:\n" + err;
  }
}
