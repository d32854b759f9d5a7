/**
 * The built-in data plane: moves the pages of any {@link
 * dev.livemigration.api.spi.MigratableMemory} to a target over its own framed protocol, with dirty
 * tracking, pre-copy passes, stop-and-copy, post-copy demand paging, throttling, zero-page
 * compression, bandwidth limits, parallel channels and an end-to-end integrity check. Start with
 * {@link dev.livemigration.core.dataplane.DataPlaneBackend} to let the engine drive it, or with
 * {@link dev.livemigration.core.dataplane.TargetAgent} and {@link
 * dev.livemigration.core.dataplane.OutgoingMigration} to use it directly. The commit protocol — who
 * owns the guest at each step, and what a failure at each step ends as — is described in
 * docs/ARCHITECTURE.md, "The data plane's commit protocol".
 */
@NullMarked
package dev.livemigration.core.dataplane;

import org.jspecify.annotations.NullMarked;
