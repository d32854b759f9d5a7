package dev.livemigration.testkit.model;

import dev.livemigration.api.InvalidValueException;
import java.util.Objects;

/**
 * How a simulated guest dirties its memory.
 *
 * @param dirtyRate bytes per second the guest writes when not throttled; at least 0
 * @param workingSet how many distinct bytes it writes to (the most a pass can find dirty); at least
 *     0
 * @param spread how its writes spread over the working set, which decides how many distinct bytes a
 *     pass finds dirty
 */
public record GuestProfile(long dirtyRate, long workingSet, Spread spread) {
  /** A guest that writes nothing: every migration converges after one pass. */
  public static final GuestProfile IDLE = new GuestProfile(0, 0);

  /** Validates the profile. */
  public GuestProfile {
    if (dirtyRate < 0) {
      throw new InvalidValueException("dirtyRate", "must be >= 0", Long.toString(dirtyRate));
    }
    if (workingSet < 0) {
      throw new InvalidValueException("workingSet", "must be >= 0", Long.toString(workingSet));
    }
    Objects.requireNonNull(spread, "spread");
  }

  /** A profile whose writes sweep the working set in order ({@link Spread#SEQUENTIAL}). */
  public GuestProfile(long dirtyRate, long workingSet) {
    this(dirtyRate, workingSet, Spread.SEQUENTIAL);
  }

  /** Returns the bytes dirtied per second at this throttle (0 to 99 percent of CPU taken). */
  public double dirtyRateAt(int throttlePercent) {
    return dirtyRate * (100 - throttlePercent) / 100.0;
  }

  /**
   * Returns how many distinct bytes of the working set are dirty after the guest wrote {@code
   * written} bytes (one page per page-sized write) since the last look.
   */
  public double dirtyAfter(double written) {
    return spread.distinct(written, workingSet);
  }

  /** How a guest's writes spread over its working set. */
  public enum Spread {
    /** Pages in order, over and over: every write finds a clean page until the set is full. */
    SEQUENTIAL {
      @Override
      double distinct(double written, double set) {
        return Math.min(set, written);
      }
    },
    /**
     * Pages picked uniformly at random: {@code n} writes over {@code N} pages dirty {@code N(1 -
     * e^(-n/N))} distinct pages, so the set fills ever more slowly.
     */
    UNIFORM {
      @Override
      double distinct(double written, double set) {
        return random(written, set);
      }
    },
    /** Nine writes in ten to the hottest tenth of the set, the rest anywhere in it, at random. */
    HOT_COLD {
      @Override
      double distinct(double written, double set) {
        if (set <= 0) {
          return 0;
        }
        double hot = set / 10;
        double cold = set - hot;
        // The hot tenth takes 90 % of the writes plus its share of the other 10 %.
        double intoHot = written * (0.9 + 0.1 * hot / set);
        double intoCold = written * 0.1 * cold / set;
        return random(intoHot, hot) + random(intoCold, cold);
      }
    };

    abstract double distinct(double written, double set);

    private static double random(double written, double set) {
      return set <= 0 ? 0 : set * -Math.expm1(-written / set);
    }
  }
}
