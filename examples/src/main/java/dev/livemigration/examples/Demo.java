package dev.livemigration.examples;

/** The main job: a live migration on the embedded default, shown on the terminal. */
public final class Demo {
  private Demo() {}

  /** Runs the demo. */
  public static void main(String[] args) {
    System.out.println(
        "The demo will live-migrate a 1 GiB guest that dirties memory between two nodes over TLS"
            + " on loopback, with the built-in data plane. It needs the data plane, which is not"
            + " built yet.");
  }
}
