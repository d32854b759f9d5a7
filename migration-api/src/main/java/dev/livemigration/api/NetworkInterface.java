package dev.livemigration.api;

import java.util.List;
import org.immutables.value.Value;

/** A network interface of a VMI: its binding, whether it is on the pod network, its ports. */
@Value.Immutable
@ValueStyle
public abstract class NetworkInterface {
  NetworkInterface() {}

  /** Returns an empty builder; {@code name} and {@code binding} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The interface's name within the VMI. */
  public abstract String name();

  /** How the interface is bound. */
  public abstract InterfaceBinding binding();

  /** Whether the interface is on the cluster's pod network (rather than a secondary one). */
  @Value.Default
  public boolean podNetwork() {
    return true;
  }

  /** The ports the interface explicitly forwards (masquerade); empty forwards all. */
  public abstract List<Integer> ports();

  @Value.Check
  void check() {
    Checks.notBlank("interface name", name());
    ports().forEach(port -> Checks.port("interfaces[" + name() + "].ports", port));
  }

  /** Builds a {@link NetworkInterface}. */
  public static final class Builder extends ImmutableNetworkInterface.Builder {
    Builder() {}
  }
}
