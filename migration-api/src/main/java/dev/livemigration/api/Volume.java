package dev.livemigration.api;

import java.util.Set;
import org.immutables.value.Value;

/** A volume of a VMI: its name, type, access modes (for claims) and size. */
@Value.Immutable
@ValueStyle
public abstract class Volume {
  Volume() {}

  /** Returns an empty builder; {@code name} and {@code type} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The volume's name within the VMI. */
  public abstract String name();

  /** Where the volume comes from. */
  public abstract VolumeType type();

  /** The claim's access modes; empty for volumes that are not claims. */
  public abstract Set<AccessMode> accessModes();

  /** The bytes a block migration copies for this volume; zero when unknown or shared. */
  @Value.Default
  public Quantity size() {
    return Quantity.ZERO;
  }

  /**
   * Whether a host disk is on storage that every node sees (KubeVirt's {@code hostDisk.shared}), so
   * that a migration neither copies it nor is refused for it; only a {@link VolumeType#HOST_DISK}
   * can be marked shared.
   */
  @Value.Default
  public boolean markedShared() {
    return false;
  }

  /**
   * Returns whether source and target can both use this volume without copying it: a claim with
   * {@code ReadWriteMany} access, or a host disk {@link #markedShared() marked shared}.
   */
  public boolean isShared() {
    return type().isClaim() && accessModes().contains(AccessMode.READ_WRITE_MANY) || markedShared();
  }

  /** Returns whether a migration must copy this volume: it lives on the node and is not shared. */
  public boolean isCopied() {
    return type().isNodeLocal() && !isShared();
  }

  @Value.Check
  void check() {
    Checks.notBlank("volume name", name());
    Checks.wholeBytes("volumes[" + name() + "].size", size());
    if (markedShared() && type() != VolumeType.HOST_DISK) {
      throw new InvalidValueException(
          "volumes[" + name() + "].markedShared",
          "can be true only for a host disk (KubeVirt's hostDisk.shared)",
          "true for " + type());
    }
  }

  /** Builds a {@link Volume}. */
  public static final class Builder extends ImmutableVolume.Builder {
    Builder() {}
  }
}
