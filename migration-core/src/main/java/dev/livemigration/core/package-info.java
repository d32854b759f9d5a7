/**
 * The migration engine: admission, policy resolution, limits, the monitor loop, timeouts,
 * strategies, cancellation and status. Start with {@link MigrationEngines#builder()}.
 */
@NullMarked
package dev.livemigration.core;

import org.jspecify.annotations.NullMarked;
