/**
 * The built-in migration strategies: pure decisions from a migration's progress to a {@link
 * dev.livemigration.api.Directive}, obtained from {@link
 * dev.livemigration.core.strategy.Strategies} by factory method or by id. Pre-copy only copies;
 * post-copy switches after the first full pass over memory; auto-converge throttles the guest's CPU
 * step by step while its dirty rate outruns the transfer; hybrid switches to post-copy when
 * pre-copy stalls or has used half its time; and the KubeVirt default does what KubeVirt does with
 * the configuration alone. Every strategy respects {@code allowAutoConverge} and {@code
 * allowPostCopy} itself and leaves the completion and progress timeouts to the engine.
 */
@NullMarked
package dev.livemigration.core.strategy;

import org.jspecify.annotations.NullMarked;
