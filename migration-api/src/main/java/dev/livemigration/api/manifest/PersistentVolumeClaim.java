package dev.livemigration.api.manifest;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.Quantity;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * What a {@code PersistentVolumeClaim} manifest ({@code apiVersion: v1}) tells about a VMI's
 * volume: the claim's access modes, which decide whether a VMI using it can be live-migrated.
 *
 * <p>{@link Manifests#readVirtualMachineInstances(String)} and {@link Manifests#readAll(String)}
 * give the claims' access modes to the volumes of the VMIs in the same input that name them.
 *
 * @param namespace the claim's namespace, {@code metadata.namespace}; a VMI's volume uses the
 *     claims of its own namespace
 * @param name the claim's name, {@code metadata.name}: a volume's {@code
 *     persistentVolumeClaim.claimName}, or the name of its {@code dataVolume}
 * @param accessModes the claim's {@code spec.accessModes}; possibly empty
 * @param size the claim's {@code spec.resources.requests.storage}; zero when not given
 */
public record PersistentVolumeClaim(
    String namespace, String name, Set<AccessMode> accessModes, Quantity size) {

  /**
   * Checks that every component is given and that namespace and name are not blank; keeps an
   * unmodifiable copy of the access modes, iterated in the order of {@link AccessMode}.
   *
   * @throws IllegalArgumentException if the namespace or name is blank
   */
  public PersistentVolumeClaim {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(accessModes, "accessModes");
    Objects.requireNonNull(size, "size");
    if (namespace.isBlank()) {
      throw new IllegalArgumentException("namespace must not be blank");
    }
    if (name.isBlank()) {
      throw new IllegalArgumentException("name must not be blank");
    }
    EnumSet<AccessMode> modes = EnumSet.noneOf(AccessMode.class);
    accessModes.forEach(mode -> modes.add(Objects.requireNonNull(mode, "accessModes element")));
    accessModes = Collections.unmodifiableSet(modes);
  }
}
