/**
 * What users test their own control planes with: simulated guests and clusters (in virtual time on
 * the model backend, or with real bytes on the built-in data plane), a comparison of the two, a
 * JUnit 5 kit and the backend compatibility kit.
 */
@NullMarked
package dev.livemigration.testkit;

import org.jspecify.annotations.NullMarked;
