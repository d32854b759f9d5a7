package dev.livemigration.api;

import java.util.Optional;
import org.immutables.value.Value;

/** A taint on a node, such as the drain taint {@code kubevirt.io/drain:NoSchedule}. */
@Value.Immutable
@ValueStyle
public abstract class Taint {
  Taint() {}

  /** Returns a taint with the given key, no value and effect {@code NoSchedule}. */
  public static Taint of(String key) {
    return builder().key(key).build();
  }

  /** Returns an empty builder; {@code key} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The taint's key. */
  public abstract String key();

  /** The taint's value, if any. */
  public abstract Optional<String> value();

  /** The taint's effect, for example {@code NoSchedule} or {@code NoExecute}. */
  @Value.Default
  public String effect() {
    return "NoSchedule";
  }

  @Value.Check
  void check() {
    Checks.notBlank("taint key", key());
  }

  /** Builds a {@link Taint}. */
  public static final class Builder extends ImmutableTaint.Builder {
    Builder() {}
  }
}
