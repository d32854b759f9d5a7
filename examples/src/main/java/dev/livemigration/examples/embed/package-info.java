/**
 * Samples of embedding the library: {@link dev.livemigration.examples.embed.EmbedEngine} (the
 * engine on the built-in data plane, configured from the guide's KubeVirt CR), {@link
 * dev.livemigration.examples.embed.CustomStrategy} (a strategy of one's own through the SPI) and
 * {@link dev.livemigration.examples.embed.TwoJvmStateMigration} (an application's in-memory state
 * moved live to another JVM process). Each has a {@code main} and a {@code run} or {@code compare}
 * method that prints to a given stream and returns what a test checks.
 */
package dev.livemigration.examples.embed;
