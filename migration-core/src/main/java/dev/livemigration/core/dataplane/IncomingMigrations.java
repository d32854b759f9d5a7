package dev.livemigration.core.dataplane;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The migrations a {@link TargetAgent} knows, by uid: those expected (until every channel
 * attached), those being received, and the last settled ones, remembered for their sources' outcome
 * queries and resumes.
 *
 * <p>Thread-safe.
 */
final class IncomingMigrations {
  private final int remembered;
  private final Map<String, IncomingMigration> expected = new ConcurrentHashMap<>();
  private final Set<IncomingMigration> active = ConcurrentHashMap.newKeySet();
  private final Map<String, IncomingMigration> known = new ConcurrentHashMap<>();
  private final ArrayDeque<IncomingMigration> settled = new ArrayDeque<>();

  /** Remembers at most {@code remembered} settled migrations. */
  IncomingMigrations(int remembered) {
    this.remembered = remembered;
  }

  boolean isExpected(String uid) {
    return expected.containsKey(uid);
  }

  /** Expects {@code incoming}; false if a migration with its uid is already expected. */
  boolean expect(IncomingMigration incoming) {
    if (expected.putIfAbsent(incoming.uid(), incoming) != null) {
      return false;
    }
    known.put(incoming.uid(), incoming);
    return true;
  }

  /** The migration expected with this uid, whose channels may still attach. */
  @Nullable IncomingMigration expected(String uid) {
    return expected.get(uid);
  }

  /** The migration with this uid, expected, being received or remembered. */
  @Nullable IncomingMigration known(String uid) {
    return known.get(uid);
  }

  /** The migrations expected now (a live view). */
  Collection<IncomingMigration> expected() {
    return expected.values();
  }

  /** The migrations being received now (a live view). */
  Collection<IncomingMigration> active() {
    return active;
  }

  void activate(IncomingMigration incoming) {
    active.add(incoming);
  }

  /** Every channel of the migration attached: no more channel may present its token. */
  void consumed(IncomingMigration incoming) {
    expected.remove(incoming.uid(), incoming);
  }

  /** The migration ended (the guest runs here, or it failed); it is remembered for a while. */
  void settled(IncomingMigration incoming) {
    expected.remove(incoming.uid(), incoming);
    active.remove(incoming);
    synchronized (settled) {
      if (!settled.contains(incoming)) {
        settled.add(incoming);
      }
      while (settled.size() > remembered) {
        IncomingMigration oldest = settled.remove();
        known.remove(oldest.uid(), oldest);
      }
    }
  }
}
