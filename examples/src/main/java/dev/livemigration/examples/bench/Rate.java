package dev.livemigration.examples.bench;

import java.lang.management.ManagementFactory;

/**
 * How fast a benchmark run moved its bytes, and the CPU time this process spent per GiB while it
 * did (all threads, both ends when both are in this process): unlike the rate, the CPU per byte
 * barely changes when other work shares the machine.
 */
record Rate(double bytesPerSecond, double cpuSecondsPerGiB) {
  /** The process's CPU time so far, in nanoseconds. */
  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** The rate of {@code bytes} moved in {@code wallNanos}, having used {@code cpuNanos} of CPU. */
  static Rate of(long bytes, long wallNanos, long cpuNanos) {
    return new Rate(bytes / (wallNanos / 1e9), cpuNanos / 1e9 / (bytes / (double) (1L << 30)));
  }
}
