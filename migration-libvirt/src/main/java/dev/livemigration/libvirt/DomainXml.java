package dev.livemigration.libvirt;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.VolumeType;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.jspecify.annotations.Nullable;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Reads what migration cares about from a libvirt domain XML: name, UUID, memory, disks,
 * interfaces, host devices, and the VMI namespace and labels kept in the domain's metadata.
 */
final class DomainXml {
  /** The XML namespace of the metadata element that holds a domain's VMI namespace and labels. */
  static final String METADATA_NAMESPACE = LibvirtInventory.METADATA_NAMESPACE;

  private DomainXml() {}

  /**
   * A disk of a domain, as migration sees it.
   *
   * @param name the disk's target device ({@code vda}), which names it in migration parameters
   * @param type where it comes from: a local image is {@link VolumeType#HOST_DISK}, network or
   *     shareable storage a {@link VolumeType#PERSISTENT_VOLUME_CLAIM} with {@code ReadWriteMany},
   *     read-only media {@link VolumeType#GENERATED}
   * @param accessModes the claim's access modes; empty for local disks
   * @param source the file, device or network name of the disk's source
   * @param cache the cache mode, when the XML sets one
   */
  record Disk(
      String name,
      VolumeType type,
      Set<AccessMode> accessModes,
      String source,
      Optional<String> cache) {}

  /**
   * A domain, as migration sees it.
   *
   * @param name the domain's name
   * @param uuid the domain's UUID
   * @param memoryBytes the guest's memory ({@code <memory>})
   * @param namespace the VMI namespace from the metadata, if set
   * @param labels the VMI labels from the metadata
   * @param disks the disks that have a source
   * @param interfaces the network interfaces
   * @param hostDevices the passed-through host devices ({@code <hostdev>}), by description
   */
  record Description(
      String name,
      String uuid,
      long memoryBytes,
      Optional<String> namespace,
      Map<String, String> labels,
      List<Disk> disks,
      List<NetworkInterface> interfaces,
      List<String> hostDevices) {}

  /**
   * Parses a domain XML.
   *
   * @throws IllegalArgumentException if the text is not a domain XML
   */
  static Description parse(String xml) {
    Element domain = document(xml).getDocumentElement();
    if (!"domain".equals(domain.getLocalName())) {
      throw new IllegalArgumentException(
          "domain XML must have a <domain> root, but had <" + domain.getLocalName() + ">");
    }
    String name = text(child(domain, "name")).orElse("");
    String uuid = text(child(domain, "uuid")).orElse("");
    Element memory = child(domain, "memory");
    long memoryBytes =
        memory == null
            ? 0
            : bytes(memory.getTextContent().trim(), memory.getAttribute("unit"), "memory");
    Optional<String> namespace = Optional.empty();
    Map<String, String> labels = new LinkedHashMap<>();
    Element metadata = child(domain, "metadata");
    if (metadata != null) {
      for (Element vmi : children(metadata, METADATA_NAMESPACE, "vmi")) {
        String ns = vmi.getAttribute("namespace");
        if (!ns.isBlank()) {
          namespace = Optional.of(ns.trim());
        }
        for (Element label : children(vmi, METADATA_NAMESPACE, "label")) {
          labels.put(label.getAttribute("key"), label.getAttribute("value"));
        }
      }
    }
    List<Disk> disks = new ArrayList<>();
    List<NetworkInterface> interfaces = new ArrayList<>();
    List<String> hostDevices = new ArrayList<>();
    Element devices = child(domain, "devices");
    if (devices != null) {
      for (Element disk : children(devices, null, "disk")) {
        disk(disk).ifPresent(disks::add);
      }
      int index = 0;
      for (Element nic : children(devices, null, "interface")) {
        interfaces.add(networkInterface(nic, index++));
      }
      for (Element hostdev : children(devices, null, "hostdev")) {
        hostDevices.add(
            "hostdev " + hostdev.getAttribute("type") + " " + hostdev.getAttribute("mode"));
      }
    }
    return new Description(
        name, uuid, memoryBytes, namespace, labels, disks, interfaces, hostDevices);
  }

  private static Optional<Disk> disk(Element disk) {
    String type = disk.getAttribute("type");
    String device = disk.getAttribute("device");
    Element source = child(disk, "source");
    Element target = child(disk, "target");
    if (source == null || target == null) {
      return Optional.empty(); // an empty drive: nothing to share or copy
    }
    String sourceName =
        firstNonBlank(
            source.getAttribute("file"),
            source.getAttribute("dev"),
            source.getAttribute("dir"),
            source.getAttribute("name"),
            source.getAttribute("volume"));
    if (sourceName.isEmpty() && !"network".equals(type)) {
      return Optional.empty();
    }
    Element driver = child(disk, "driver");
    Optional<String> cache =
        driver == null || driver.getAttribute("cache").isBlank()
            ? Optional.empty()
            : Optional.of(driver.getAttribute("cache"));
    String name = target.getAttribute("dev");
    boolean readOnly =
        child(disk, "readonly") != null || "cdrom".equals(device) || "floppy".equals(device);
    boolean shared = child(disk, "shareable") != null;
    VolumeType volumeType;
    Set<AccessMode> modes = Set.of();
    if ("network".equals(type)) {
      volumeType = VolumeType.PERSISTENT_VOLUME_CLAIM;
      modes = Set.of(AccessMode.READ_WRITE_MANY);
      String protocol = source.getAttribute("protocol");
      sourceName = protocol + ":" + sourceName;
    } else if (shared) {
      volumeType = VolumeType.PERSISTENT_VOLUME_CLAIM;
      modes = Set.of(AccessMode.READ_WRITE_MANY);
    } else if (readOnly) {
      volumeType = VolumeType.GENERATED;
    } else {
      volumeType = VolumeType.HOST_DISK;
    }
    return Optional.of(new Disk(name, volumeType, modes, sourceName, cache));
  }

  private static NetworkInterface networkInterface(Element nic, int index) {
    String type = nic.getAttribute("type");
    Element alias = child(nic, "alias");
    Element target = child(nic, "target");
    String name =
        firstNonBlank(
            alias == null ? "" : alias.getAttribute("name"),
            target == null ? "" : target.getAttribute("dev"),
            "net" + index);
    NetworkInterface.Builder builder = NetworkInterface.builder().name(name);
    switch (type) {
      case "user" -> {
        Element backend = child(nic, "backend");
        boolean passt = backend != null && "passt".equals(backend.getAttribute("type"));
        builder.binding(passt ? InterfaceBinding.PASST : InterfaceBinding.SLIRP).podNetwork(true);
      }
      case "hostdev" -> builder.binding(InterfaceBinding.SRIOV).podNetwork(false);
      default ->
          // network, bridge, direct, ethernet, vhostuser: a host network the target attaches by
          // name; libvirt migrates these, unlike KubeVirt's bridge on the pod network.
          builder.binding(InterfaceBinding.BRIDGE).podNetwork(false);
    }
    return builder.build();
  }

  /**
   * Returns a libvirt size in bytes: the number with its unit ({@code b}, {@code KiB}/{@code k},
   * {@code KB}, {@code MiB}/{@code M}, ... ; KiB when there is none).
   */
  static long bytes(String number, String unit, String what) {
    long value;
    try {
      value = Long.parseLong(number);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          what + " must be a whole number, but was '" + number + "'", e);
    }
    String u = unit == null || unit.isBlank() ? "kib" : unit.trim().toLowerCase(Locale.ROOT);
    long factor =
        switch (u) {
          case "b", "bytes" -> 1L;
          case "kb" -> 1000L;
          case "k", "kib" -> 1L << 10;
          case "mb" -> 1000L * 1000;
          case "m", "mib" -> 1L << 20;
          case "gb" -> 1000L * 1000 * 1000;
          case "g", "gib" -> 1L << 30;
          case "tb" -> 1000L * 1000 * 1000 * 1000;
          case "t", "tib" -> 1L << 40;
          default ->
              throw new IllegalArgumentException(
                  what
                      + " unit must be one of b, KB, KiB, MB, MiB, GB, GiB, TB, TiB, but was '"
                      + unit
                      + "'");
        };
    return Math.multiplyExact(value, factor);
  }

  private static Document document(String xml) {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(true);
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setExpandEntityReferences(false);
      DocumentBuilder builder = factory.newDocumentBuilder();
      builder.setErrorHandler(new DefaultHandler()); // throws on fatal errors, prints nothing
      return builder.parse(new InputSource(new StringReader(xml)));
    } catch (ParserConfigurationException | SAXException | IOException e) {
      throw new IllegalArgumentException("domain XML is not well-formed: " + e.getMessage(), e);
    }
  }

  private static @Nullable Element child(Element parent, String name) {
    for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof Element element
          && element.getNamespaceURI() == null
          && name.equals(element.getLocalName())) {
        return element;
      }
    }
    return null;
  }

  private static List<Element> children(
      Element parent, @Nullable String namespace, String localName) {
    List<Element> found = new ArrayList<>();
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      if (nodes.item(i) instanceof Element element
          && localName.equals(element.getLocalName())
          && (namespace == null
              ? element.getNamespaceURI() == null
              : namespace.equals(element.getNamespaceURI()))) {
        found.add(element);
      }
    }
    return found;
  }

  private static Optional<String> text(@Nullable Element element) {
    return element == null ? Optional.empty() : Optional.of(element.getTextContent().trim());
  }

  private static String firstNonBlank(String... values) {
    for (String value : values) {
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return "";
  }
}
