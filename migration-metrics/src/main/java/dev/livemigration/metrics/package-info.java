/**
 * Metrics of an engine's migrations under KubeVirt's names, through Micrometer ({@link
 * dev.livemigration.metrics.MigrationMetrics}), and a loopback scrape endpoint ({@link
 * dev.livemigration.metrics.ScrapeEndpoint}).
 */
@NullMarked
package dev.livemigration.metrics;

import org.jspecify.annotations.NullMarked;
