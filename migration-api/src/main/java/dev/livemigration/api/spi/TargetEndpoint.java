package dev.livemigration.api.spi;

import java.util.Map;
import java.util.Objects;

/**
 * Where a prepared target receives a migration, reported into the migration's state.
 *
 * @param address the address the target listens on
 * @param ports the ports the target listens on, each mapped to the migration port it serves (49152
 *     memory, 49153 disks, 0 the hypervisor's own channel)
 * @param targetPod the name of the receiving process or pod
 */
public record TargetEndpoint(String address, Map<Integer, Integer> ports, String targetPod) {

  /** Copies the ports and checks that no component is null. */
  public TargetEndpoint {
    Objects.requireNonNull(address, "address");
    ports = Map.copyOf(ports);
    Objects.requireNonNull(targetPod, "targetPod");
  }
}
