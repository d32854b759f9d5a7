package dev.livemigration.api.spi;

import org.jspecify.annotations.Nullable;

/**
 * What a {@link MigrationStore} knows of one VMI for admission: a generation raised whenever a
 * migration of the VMI is admitted or ends, and the migration in progress, if any.
 *
 * <p>Admission reads the slot before it asks the inventory where the VMI runs and passes the
 * generation back to {@link MigrationStore#admit}: if a migration of the VMI ended in between, the
 * generation moved, the location read may be stale, and the store refuses.
 *
 * @param generation raised by every admission and every end of a migration of the VMI; 0 if none
 * @param activeMigrationUid the uid of the VMI's migration in progress, or null
 */
public record VmiSlot(long generation, @Nullable String activeMigrationUid) {

  /** The slot of a VMI the store has never seen. */
  public static final VmiSlot NEW = new VmiSlot(0, null);
}
