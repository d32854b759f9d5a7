package dev.livemigration.api.spi;

import java.util.Objects;

/**
 * A migration that {@link MigrationStore#adopt} took over: the record, now owned by the adopting
 * replica, and the replica that owned it before.
 *
 * @param record the record with its new owner and fencing token
 * @param previousOwner the replica whose lease expired or that joined again
 */
public record Adoption(MigrationRecord record, String previousOwner) {

  /** Checks that no component is null. */
  public Adoption {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(previousOwner, "previousOwner");
  }
}
