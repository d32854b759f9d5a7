package dev.livemigration.testkit;

import dev.livemigration.testkit.model.GuestProfile;

/** Which pages a {@link SimulatedGuest} writes to. */
public enum DirtyPattern {
  /** Pages picked uniformly at random within the working set. */
  UNIFORM(GuestProfile.Spread.UNIFORM),
  /** Nine writes in ten go to the hottest tenth of the working set, the rest anywhere in it. */
  HOT_COLD(GuestProfile.Spread.HOT_COLD),
  /** Pages of the working set in order, over and over. */
  SEQUENTIAL(GuestProfile.Spread.SEQUENTIAL);

  private final GuestProfile.Spread spread;

  DirtyPattern(GuestProfile.Spread spread) {
    this.spread = spread;
  }

  /** How the model backend spreads this pattern's writes. */
  public GuestProfile.Spread spread() {
    return spread;
  }

  /** Returns the pattern whose writes spread as {@code spread}. */
  public static DirtyPattern of(GuestProfile.Spread spread) {
    for (DirtyPattern pattern : values()) {
      if (pattern.spread == spread) {
        return pattern;
      }
    }
    throw new IllegalArgumentException("no pattern spreads writes as " + spread);
  }
}
