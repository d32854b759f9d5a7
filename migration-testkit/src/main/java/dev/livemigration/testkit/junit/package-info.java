/**
 * The JUnit 5 kit: {@link WithSimulatedCluster} gives each test a fresh simulated cluster and
 * engine, and {@link MigrationAssertions} checks handles, states and events fluently.
 */
@NullMarked
package dev.livemigration.testkit.junit;

import org.jspecify.annotations.NullMarked;
