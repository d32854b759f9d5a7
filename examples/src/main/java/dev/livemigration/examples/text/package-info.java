/**
 * How the demo and the CLI write things for people: sizes, rates, durations and directives ({@link
 * dev.livemigration.examples.text.Units}) and states in the guide's {@code kubectl describe} form
 * ({@link dev.livemigration.examples.text.StatusFormat}).
 */
package dev.livemigration.examples.text;
