package dev.livemigration.testkit.model;

/**
 * How a simulated guest dirties its memory.
 *
 * @param dirtyRate bytes per second the guest writes when not throttled; at least 0
 * @param workingSet how many distinct bytes it writes to (the most a pass can find dirty); at least
 *     0
 */
public record GuestProfile(long dirtyRate, long workingSet) {
  /** A guest that writes nothing: every migration converges after one pass. */
  public static final GuestProfile IDLE = new GuestProfile(0, 0);

  /** Validates the profile. */
  public GuestProfile {
    if (dirtyRate < 0) {
      throw new IllegalArgumentException("dirtyRate must be >= 0, but was " + dirtyRate);
    }
    if (workingSet < 0) {
      throw new IllegalArgumentException("workingSet must be >= 0, but was " + workingSet);
    }
  }

  /** Returns the bytes dirtied per second at this throttle (0 to 99 percent of CPU taken). */
  public double dirtyRateAt(int throttlePercent) {
    return dirtyRate * (100 - throttlePercent) / 100.0;
  }
}
