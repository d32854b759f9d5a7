package dev.livemigration.api.manifest;

import static dev.livemigration.api.manifest.Converters.int32;
import static dev.livemigration.api.manifest.Converters.list;
import static dev.livemigration.api.manifest.Converters.mapping;
import static dev.livemigration.api.manifest.Converters.string;
import static dev.livemigration.api.manifest.Maps.nested;

import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.PortRange;
import dev.livemigration.api.manifest.Section.Bound;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads one of a VMI's {@code domain.devices.interfaces}: its name, its binding (exactly one of
 * KubeVirt's binding keys, a binding plugin included), and the ports and port ranges it forwards.
 */
final class InterfaceReader {
  private InterfaceReader() {}

  /** A port range being read. */
  private static final class RangeDraft {
    int start = 1;
    int end = 65535;

    PortRange build() {
      return new PortRange(start, end);
    }
  }

  static final List<String> BINDING_KEYS =
      Stream.of(InterfaceBinding.values()).map(InterfaceReader::bindingKey).toList();

  private static final Section<NetworkInterface.Builder> PORT =
      Section.<NetworkInterface.Builder>strict(
              InterfaceReader::probeInterface, NetworkInterface.Builder::build)
          .required("port", int32(), (b, v) -> b.addPorts(v))
          .ignore("name", "protocol");

  private static final Section<RangeDraft> PORT_RANGE =
      Section.<RangeDraft>strict(RangeDraft::new, RangeDraft::build)
          .required("start", int32(), (d, v) -> d.start = v)
          .required("end", int32(), (d, v) -> d.end = v)
          .ignore("protocol");

  /** A binding plugin: {@code binding: {name: …}}. */
  private static final Section<NetworkInterface.Builder> PLUGIN =
      Section.<NetworkInterface.Builder>strict(
              InterfaceReader::probeInterface, NetworkInterface.Builder::build)
          .required(
              "name", string(), (b, v) -> b.binding(InterfaceBinding.PLUGIN).bindingPlugin(v));

  private static final Section<NetworkInterface.Builder> INTERFACE = interfaceSection();

  private static NetworkInterface.Builder probeInterface() {
    return NetworkInterface.builder().name("probe").binding(InterfaceBinding.MASQUERADE);
  }

  /**
   * Returns the key a binding is written under: {@code masquerade} for {@code MASQUERADE}, {@code
   * passtBinding} for {@code PASST_BINDING}, {@code binding} for a plugin.
   */
  static String bindingKey(InterfaceBinding binding) {
    if (binding == InterfaceBinding.PLUGIN) {
      return "binding";
    }
    String[] words = binding.name().toLowerCase(Locale.ROOT).split("_");
    StringBuilder key = new StringBuilder(words[0]);
    for (int i = 1; i < words.length; i++) {
      key.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
    }
    return key.toString();
  }

  static Optional<NetworkInterface> networkInterface(Tree node, String path, Problems problems) {
    if (!(node instanceof Tree.Mapping mapping)) {
      problems.invalid(path, node, "must be a map");
      return Optional.empty();
    }
    int before = problems.count();
    Map<String, Bound<NetworkInterface.Builder>> values = INTERFACE.read(mapping, path, problems);
    InstanceReader.exactlyOne(INTERFACE, mapping, path, BINDING_KEYS, "binding", problems);
    return Section.build(
        NetworkInterface.builder(),
        NetworkInterface.Builder::build,
        values.values(),
        path,
        problems,
        before);
  }

  private static Optional<PortRange> portRange(Tree node, String path, Problems problems) {
    return nested(PORT_RANGE, node, path, problems)
        .flatMap(
            values ->
                Section.build(
                    new RangeDraft(), RangeDraft::build, values, path, problems, problems.count()));
  }

  private static Section<NetworkInterface.Builder> interfaceSection() {
    Section<NetworkInterface.Builder> section =
        Section.<NetworkInterface.Builder>strict(
                InterfaceReader::probeInterface, NetworkInterface.Builder::build)
            .required("name", string(), NetworkInterface.Builder::name);
    for (InterfaceBinding binding : InterfaceBinding.values()) {
      if (binding == InterfaceBinding.PLUGIN) {
        section.field(
            bindingKey(binding),
            (node, path, problems) -> nested(PLUGIN, node, path, problems),
            (b, settings) -> settings.forEach(s -> s.setter().accept(b)));
      } else {
        section.field(
            bindingKey(binding),
            (node, path, problems) -> mapping().convert(node, path, problems).map(m -> binding),
            NetworkInterface.Builder::binding);
      }
    }
    return section
        .field(
            "ports",
            list((node, path, problems) -> nested(PORT, node, path, problems)),
            (b, ports) -> ports.forEach(port -> port.forEach(p -> p.setter().accept(b))))
        .field("portRanges", list(InterfaceReader::portRange), NetworkInterface.Builder::portRanges)
        .ignore(
            "model",
            "macAddress",
            "pciAddress",
            "bootOrder",
            "dhcpOptions",
            "tag",
            "acpiIndex",
            "state");
  }
}
