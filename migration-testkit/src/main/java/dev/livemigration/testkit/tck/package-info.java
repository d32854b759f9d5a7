/**
 * The backend compatibility kit: an abstract test class that every {@link
 * dev.livemigration.api.spi.HypervisorBackend} implementation extends to prove it behaves as the
 * engine expects.
 */
@NullMarked
package dev.livemigration.testkit.tck;

import org.jspecify.annotations.NullMarked;
