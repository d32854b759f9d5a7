package dev.livemigration.testkit;

/** Which pages a {@link SimulatedGuest} writes to. */
public enum DirtyPattern {
  /** Pages picked uniformly at random within the working set. */
  UNIFORM,
  /** Nine writes in ten go to the hottest tenth of the working set, the rest anywhere in it. */
  HOT_COLD,
  /** Pages of the working set in order, over and over. */
  SEQUENTIAL
}
