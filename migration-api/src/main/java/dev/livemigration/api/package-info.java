/**
 * The public model of live migration: requests, cluster configuration, migration policies, status
 * and conditions, as immutable values shaped like KubeVirt's manifests.
 */
@NullMarked
package dev.livemigration.api;

import org.jspecify.annotations.NullMarked;
