package dev.livemigration.core.dataplane;

/** Argument checks shared by the data plane. */
final class Checks {
  private Checks() {}

  static void index(int index, int count) {
    if (index < 0 || index >= count) {
      throw new IndexOutOfBoundsException(
          "page index must be in [0, " + count + "), but was " + index);
    }
  }
}
