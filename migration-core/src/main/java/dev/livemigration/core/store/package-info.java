/**
 * Migration stores: {@link dev.livemigration.core.store.InMemoryMigrationStore}, the engine's
 * embedded default, and {@link dev.livemigration.core.store.MigrationStores} to make one.
 */
@NullMarked
package dev.livemigration.core.store;

import org.jspecify.annotations.NullMarked;
