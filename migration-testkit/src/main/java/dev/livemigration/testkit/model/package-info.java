/**
 * A virtual-time model of live migration: pre-copy, post-copy and auto-converge computed from
 * memory size, dirty rate, working set and bandwidth, without moving bytes, so that thousands of
 * migrations and hour-long timeouts run in milliseconds.
 */
@NullMarked
package dev.livemigration.testkit.model;

import org.jspecify.annotations.NullMarked;
