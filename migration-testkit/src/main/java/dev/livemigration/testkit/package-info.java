/**
 * What users test their own control planes with: simulated guests and clusters, virtual time, a
 * JUnit 5 kit and the backend compatibility kit.
 */
@NullMarked
package dev.livemigration.testkit;

import org.jspecify.annotations.NullMarked;
