package dev.livemigration.libvirt;

import dev.livemigration.api.Node;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import dev.livemigration.api.spi.BackendException;
import dev.livemigration.api.spi.ClusterInventory;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.libvirt.Domain;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ClusterInventory} read live from the libvirt daemons of a {@link LibvirtBackend}: its
 * nodes are the backend's hosts, its VMIs the running domains on them.
 *
 * <p>A domain becomes a VMI of the same name with its {@code <memory>}, its disks as volumes (a
 * local image or block device: {@code HOST_DISK}, copied by a block migration, sized by its
 * capacity; network storage or a {@code <shareable/>} disk: a {@code ReadWriteMany} claim that
 * stays in place; read-only media and CD-ROMs: {@code GENERATED}, which the target must provide)
 * and its interfaces ({@code user}: slirp or passt on the pod network; {@code hostdev}: SR-IOV; the
 * others: host networks that the target attaches by name). Its namespace and labels come from the
 * domain's metadata, {@code default} and none when absent:
 *
 * <pre>{@code
 * <metadata>
 *   <lm:vmi xmlns:lm="https://livemigration.dev/xmlns/vmi/1.0" namespace="shop">
 *     <lm:label key="app" value="web"/>
 *   </lm:vmi>
 * </metadata>
 * }</pre>
 *
 * <p>Domains whose names are not valid Kubernetes object names are left out. While a domain
 * migrates it runs on one host and waits paused on the other; the running one is reported. A host
 * that cannot be reached is logged and left out of the VMIs (its node is still listed).
 */
public final class LibvirtInventory implements ClusterInventory {
  /** The XML namespace of the {@code <vmi>} metadata element. */
  public static final String METADATA_NAMESPACE = "https://livemigration.dev/xmlns/vmi/1.0";

  private static final Logger LOG = LoggerFactory.getLogger(LibvirtInventory.class);

  private final LibvirtBackend backend;
  private final List<Node> nodes;
  private final Map<String, Map<String, String>> namespaceLabels;

  private LibvirtInventory(
      LibvirtBackend backend, List<Node> nodes, Map<String, Map<String, String>> labels) {
    this.backend = backend;
    this.nodes = List.copyOf(nodes);
    Map<String, Map<String, String>> copy = new LinkedHashMap<>();
    labels.forEach((namespace, map) -> copy.put(namespace, Map.copyOf(map)));
    this.namespaceLabels = Map.copyOf(copy);
  }

  /**
   * Returns the inventory of the backend's hosts, each a node whose address is its URI's host
   * ({@code 127.0.0.1} for a local or unix-socket URI).
   */
  public static LibvirtInventory of(LibvirtBackend backend) {
    List<Node> nodes = new ArrayList<>();
    for (String name : backend.nodes()) {
      String address = backend.uri(name).map(LibvirtInventory::hostOf).orElse("127.0.0.1");
      nodes.add(Node.builder().name(name).address(address).build());
    }
    return new LibvirtInventory(backend, nodes, Map.of());
  }

  /**
   * Returns the inventory of these nodes (with their labels, taints and migration addresses), each
   * of which must be a host of the backend.
   *
   * @throws IllegalArgumentException if a node is not one of the backend's hosts
   */
  public static LibvirtInventory of(LibvirtBackend backend, List<Node> nodes) {
    for (Node node : nodes) {
      if (backend.uri(node.name()).isEmpty()) {
        throw new IllegalArgumentException(
            "nodes must be hosts of the backend "
                + backend.nodes()
                + ", but "
                + node.name()
                + " is not");
      }
    }
    return new LibvirtInventory(backend, nodes, Map.of());
  }

  /** Returns a copy whose namespaces carry these labels, for policies' namespace selectors. */
  public LibvirtInventory withNamespaceLabels(Map<String, Map<String, String>> labels) {
    return new LibvirtInventory(backend, nodes, labels);
  }

  @Override
  public List<Node> nodes() {
    return nodes;
  }

  @Override
  public List<VirtualMachineInstance> virtualMachineInstances() {
    Map<String, Found> byUuid = new LinkedHashMap<>();
    for (Node node : nodes) {
      for (Found found : domainsOn(node.name())) {
        Found earlier = byUuid.get(found.uuid);
        if (earlier == null || (!earlier.running && found.running)) {
          byUuid.put(found.uuid, found);
        }
      }
    }
    return byUuid.values().stream().map(found -> found.vmi).toList();
  }

  @Override
  public Map<String, String> namespaceLabels(String namespace) {
    return namespaceLabels.getOrDefault(namespace, Map.of());
  }

  /** A VMI found on a host, with its domain's UUID and whether it runs (rather than waits). */
  private record Found(VirtualMachineInstance vmi, String uuid, boolean running) {}

  private List<Found> domainsOn(String node) {
    List<Found> found = new ArrayList<>();
    Domain[] domains;
    try {
      domains =
          backend.host(node).call(c -> c.listAllDomains(1)); // VIR_CONNECT_LIST_DOMAINS_ACTIVE
    } catch (LibvirtException e) {
      LOG.warn(
          "Cannot read the VMIs of {}: {}",
          node,
          LibvirtBackendException.of("listing the domains of " + node, e).getMessage());
      return found;
    } catch (BackendException e) {
      LOG.warn("Cannot list the domains of {}: {}", node, e.getMessage());
      return found;
    }
    for (Domain domain : domains) {
      try {
        describe(node, domain).ifPresent(found::add);
      } catch (LibvirtException e) {
        LOG.debug("Domain on {} vanished while it was read: {}", node, e.getMessage());
      } finally {
        try {
          domain.free();
        } catch (LibvirtException e) {
          LOG.debug("Freeing a domain of {} failed", node, e);
        }
      }
    }
    return found;
  }

  private Optional<Found> describe(String node, Domain domain) throws LibvirtException {
    DomainXml.Description description = DomainXml.parse(domain.getXMLDesc(0));
    boolean running = domain.getInfo().state == DomainState.VIR_DOMAIN_RUNNING;
    List<Volume> volumes = new ArrayList<>();
    for (DomainXml.Disk disk : description.disks()) {
      Volume.Builder volume =
          Volume.builder().name(disk.name()).type(disk.type()).accessModes(disk.accessModes());
      if (disk.type() == VolumeType.HOST_DISK) {
        volume.size(Quantity.ofBytes(capacity(domain, disk)));
      }
      volumes.add(volume.build());
    }
    try {
      VirtualMachineInstance.Builder vmi =
          VirtualMachineInstance.builder()
              .name(description.name())
              .nodeName(node)
              .memory(Quantity.ofBytes(description.memoryBytes()))
              .labels(description.labels())
              .volumes(volumes)
              .interfaces(description.interfaces());
      description.namespace().ifPresent(vmi::namespace);
      return Optional.of(new Found(vmi.build(), description.uuid(), running));
    } catch (IllegalArgumentException e) {
      LOG.debug("Domain {} on {} is not a VMI: {}", description.name(), node, e.getMessage());
      return Optional.empty();
    }
  }

  private static long capacity(Domain domain, DomainXml.Disk disk) {
    try {
      return Math.max(0, domain.blockInfo(disk.name()).getCapacity());
    } catch (LibvirtException e) {
      LOG.debug("No block info for disk {}: {}", disk.name(), e.getMessage());
      return 0;
    }
  }

  static String hostOf(String uri) {
    try {
      String host = URI.create(uri).getHost();
      return host == null || host.isBlank() ? "127.0.0.1" : host;
    } catch (IllegalArgumentException e) {
      return "127.0.0.1";
    }
  }
}
