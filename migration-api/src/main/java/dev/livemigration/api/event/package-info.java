/**
 * Typed events of a migration's life, delivered to a {@link MigrationListener}. Every migration
 * that is queued ends with exactly one {@link MigrationEvent.Succeeded} or {@link
 * MigrationEvent.Failed}.
 */
@NullMarked
package dev.livemigration.api.event;

import org.jspecify.annotations.NullMarked;
