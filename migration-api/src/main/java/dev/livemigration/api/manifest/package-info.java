/**
 * Reading and writing KubeVirt's live-migration manifests as YAML or JSON.
 *
 * <p>{@link dev.livemigration.api.manifest.Manifests} turns a {@code
 * VirtualMachineInstanceMigration}, {@code KubeVirt}, {@code MigrationPolicy} or running {@code
 * VirtualMachineInstance} manifest, or a VMI's migration status, into the typed values of {@code
 * dev.livemigration.api} and writes them back; a VMI's claims take their access modes from the
 * {@link dev.livemigration.api.manifest.PersistentVolumeClaim} manifests read with it. A document
 * with problems is rejected with a {@link dev.livemigration.api.manifest.ManifestException} that
 * lists every problem at once.
 */
@NullMarked
package dev.livemigration.api.manifest;

import org.jspecify.annotations.NullMarked;
