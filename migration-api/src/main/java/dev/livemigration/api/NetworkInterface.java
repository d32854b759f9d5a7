package dev.livemigration.api;

import java.util.List;
import java.util.Optional;
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

  /** The port ranges the interface forwards ({@code portRanges}), next to {@link #ports()}. */
  public abstract List<PortRange> portRanges();

  /** The name of the network binding plugin; present exactly when the binding is a plugin. */
  public abstract Optional<String> bindingPlugin();

  /**
   * The {@code spec.resourceClaims} entry (and its request) of a network backed by a dynamic
   * resource claim ({@code networks[].resourceClaim}); such a network is not the pod network.
   */
  public abstract Optional<String> resourceClaimName();

  /** The request within {@link #resourceClaimName()}'s claim, if one is named. */
  public abstract Optional<String> resourceClaimRequestName();

  /** Returns whether the interface forwards {@code port}, in {@link #ports()} or a range. */
  public boolean forwardsPort(int port) {
    return ports().contains(port) || portRanges().stream().anyMatch(r -> r.contains(port));
  }

  @Value.Check
  void check() {
    Checks.notBlank("interface name", name());
    ports().forEach(port -> Checks.port("interfaces[" + name() + "].ports", port));
    if (bindingPlugin().isPresent() != (binding() == InterfaceBinding.PLUGIN)) {
      throw new InvalidValueException(
          "interfaces[" + name() + "].bindingPlugin",
          "must be given exactly when the binding is PLUGIN",
          bindingPlugin().map(Checks::quote).orElse("absent") + " with " + binding());
    }
    bindingPlugin().ifPresent(n -> Checks.notBlank("interfaces[" + name() + "].binding.name", n));
    if (resourceClaimName().isPresent() && podNetwork()) {
      throw new InvalidValueException(
          "interfaces[" + name() + "].podNetwork",
          "must be false on a resource claim network",
          "true");
    }
  }

  /** Builds a {@link NetworkInterface}. */
  public static final class Builder extends ImmutableNetworkInterface.Builder {
    Builder() {}
  }
}
