package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.manifest.ManifestException.Problem;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Manifests rejects bad VMIs and claims")
class InstanceBadInputTest {
  private static final String SOURCES =
      "persistentVolumeClaim, dataVolume, containerDisk, emptyDisk, hostDisk, ephemeral,"
          + " memoryDump, containerPath, cloudInitNoCloud,"
          + " cloudInitConfigDrive, configMap, secret, serviceAccount, sysprep, downwardAPI,"
          + " downwardMetrics";
  private static final String BINDINGS =
      "bridge, masquerade, sriov, slirp, passt, passtBinding, macvtap, binding";
  private static final String NOT_RUNNING =
      "status.nodeName is missing but it is required; the VMI must be running: only a VMI"
          + " scheduled to a node can migrate";
  private static final String INTERFACES = "spec.domain.devices.interfaces";

  /** A VMI named vmi with 1Gi, with these lines of spec (indented 2 spaces) and these of status. */
  private static String vmi(List<String> specLines, String... statusLines) {
    StringBuilder text =
        new StringBuilder(
            "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: vmi\n"
                + "spec:\n  domain:\n    memory:\n      guest: 1Gi\n");
    specLines.forEach(line -> text.append("  ").append(line).append('\n'));
    text.append("status:\n");
    for (String line : statusLines) {
      text.append("  ").append(line).append('\n');
    }
    return text.toString();
  }

  /** A running VMI with these lines of spec. */
  private static String running(String... specLines) {
    return vmi(List.of(specLines), "nodeName: node01", "phase: Running");
  }

  private static List<String> messages(String text) {
    ManifestException e =
        catchThrowableOfType(
            ManifestException.class, () -> Manifests.read(text, VirtualMachineInstance.class));
    assertThat(e).as("reading should fail:\n%s", text).isNotNull();
    return e.problems().stream().map(Problem::message).toList();
  }

  private static List<String> allMessages(String text) {
    ManifestException e =
        catchThrowableOfType(
            ManifestException.class, () -> Manifests.readVirtualMachineInstances(text));
    assertThat(e).as("reading should fail:\n%s", text).isNotNull();
    return e.problems().stream().map(Problem::message).toList();
  }

  @Nested
  @DisplayName("the VMI")
  class Instance {
    @Test
    @DisplayName("a VMI that is not running has no node")
    void notRunning() {
      ManifestException e =
          catchThrowableOfType(
              ManifestException.class, () -> Manifests.read(vmi(List.of(), "phase: Pending")));

      assertThat(e.problems()).containsExactly(new Problem("status.nodeName", null, NOT_RUNNING));
    }

    @Test
    @DisplayName("a VMI without status at all")
    void noStatus() {
      String text =
          "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: vmi\n"
              + "spec:\n  domain:\n    resources:\n      requests:\n        memory: 1Gi\n";

      assertThat(messages(text)).containsExactly(NOT_RUNNING);
    }

    @Test
    @DisplayName("no memory, neither the guest's nor requested")
    void noMemory() {
      String text =
          "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: vmi\n"
              + "spec:\n  domain:\n    cpu:\n      cores: 2\nstatus:\n  nodeName: n\n";

      assertThat(messages(text))
          .containsExactly(
              "spec.domain.memory.guest is missing but it is required; the guest's memory may"
                  + " instead be given as spec.domain.resources.requests.memory");
    }

    @Test
    @DisplayName("a fraction of a byte of memory, a bad name and a bad label")
    void modelRules() {
      String text =
          running()
              .replace("guest: 1Gi", "guest: 0.5")
              .replaceFirst("name: vmi\n", "name: Vmi_1\n  labels:\n    'bad key!': x\n");

      assertThat(messages(text))
          .containsExactly(
              "metadata.name was 'Vmi_1' but it must be a DNS-1123 subdomain (lower case letters,"
                  + " digits, '-' and '.', starting and ending with a letter or digit, at most 253"
                  + " characters)",
              "metadata.labels key was 'bad key!' but it must be a label name (letters, digits,"
                  + " '-', '_' and '.', starting and ending with a letter or digit, at most 63"
                  + " characters, optionally after a DNS prefix and '/')",
              "spec.domain.memory.guest was 0.5 but it must be a whole number of bytes up to"
                  + " 9223372036854775807");
    }

    @Test
    @DisplayName("a wrong apiVersion")
    void apiVersion() {
      assertThat(messages(running().replace("kubevirt.io/v1", "v1")))
          .containsExactly(
              "apiVersion was 'v1' but it must be kubevirt.io/v1 or kubevirt.io/v1alpha3 for kind"
                  + " VirtualMachineInstance");
    }
  }

  @Nested
  @DisplayName("volumes")
  class Volumes {
    @Test
    @DisplayName("an unknown source names the known ones")
    void unknownSource() {
      assertThat(
              messages(
                  running(
                      "volumes:",
                      "  - name: shared",
                      "    nfs:",
                      "      server: 10.0.0.1",
                      "      path: /exports/vm")))
          .containsExactly(
              "spec.volumes[0].nfs is not a known field; known fields are name, " + SOURCES);
    }

    @Test
    @DisplayName("a misspelt source")
    void misspeltSource() {
      assertThat(
              messages(
                  running(
                      "volumes:",
                      "  - name: root",
                      "    persistentVolumeClam:",
                      "      claimName: r")))
          .containsExactly(
              "spec.volumes[0].persistentVolumeClam is not a known field; known fields are name, "
                  + SOURCES);
    }

    @Test
    @DisplayName("no source, and two sources")
    void sourceCount() {
      assertThat(
              messages(
                  running(
                      "volumes:",
                      "  - name: nothing",
                      "  - name: two",
                      "    containerDisk: {image: fedora}",
                      "    emptyDisk: {capacity: 1Gi}")))
          .containsExactly(
              "spec.volumes[0] was a map but it must have exactly one source of "
                  + SOURCES
                  + "; it has none",
              "spec.volumes[1] was a map but it must have exactly one source of "
                  + SOURCES
                  + "; it has containerDisk and emptyDisk");
    }

    @Test
    @DisplayName("a claim without its name, an empty disk without capacity, a misspelt capacity")
    void sourceFields() {
      assertThat(
              messages(
                  running(
                      "volumes:",
                      "  - name: a",
                      "    persistentVolumeClaim: {readOnly: true}",
                      "  - name: b",
                      "    dataVolume: {}",
                      "  - name: c",
                      "    emptyDisk: {capacity: -1Gi}",
                      "  - name: d",
                      "    hostDisk: {capcity: 1Gi, path: /d.img, type: DiskOrCreate}",
                      "  - name: e",
                      "    containerDisk: quay.io/fedora")))
          .containsExactly(
              "spec.volumes[0].persistentVolumeClaim.claimName is missing but it is required",
              "spec.volumes[1].dataVolume.name is missing but it is required",
              "spec.volumes[2].emptyDisk.capacity was '-1Gi' but it must not be negative",
              "spec.volumes[3].hostDisk.capcity is not a known field; known fields are capacity,"
                  + " path, type, shared",
              "spec.volumes[4].containerDisk was 'quay.io/fedora' but it must be a map");
    }

    @Test
    @DisplayName("two volumes with one name, and a volume without a name")
    void names() {
      assertThat(
              messages(
                  running(
                      "volumes:",
                      "  - name: disk",
                      "    containerDisk: {}",
                      "  - name: disk",
                      "    emptyDisk: {capacity: 1Gi}")))
          .containsExactly(
              "spec.volumes[1].name was 'disk' but it must be unique; spec.volumes[0] has the same"
                  + " name");
      assertThat(messages(running("volumes:", "  - containerDisk: {}")))
          .containsExactly("spec.volumes[0].name is missing but it is required");
    }
  }

  @Nested
  @DisplayName("interfaces and networks")
  class Interfaces {
    @Test
    @DisplayName("two bindings on one interface, and none on another")
    void bindingCount() {
      assertThat(
              messages(
                  running(
                      "  devices:",
                      "    interfaces:",
                      "      - name: default",
                      "        bridge: {}",
                      "        masquerade: {}",
                      "      - name: other",
                      "networks:",
                      "  - name: default",
                      "    pod: {}",
                      "  - name: other",
                      "    pod: {}")))
          .containsExactly(
              INTERFACES
                  + "[0] was a map but it must have exactly one binding of "
                  + BINDINGS
                  + "; it has bridge and masquerade",
              INTERFACES
                  + "[1] was a map but it must have exactly one binding of "
                  + BINDINGS
                  + "; it has none");
    }

    @Test
    @DisplayName("a misspelt binding is unknown, and not also missing")
    void misspeltBinding() {
      assertThat(
              messages(
                  running(
                      "  devices:",
                      "    interfaces:",
                      "      - name: default",
                      "        masquerad: {}",
                      "networks:",
                      "  - name: default",
                      "    pod: {}")))
          .containsExactly(
              INTERFACES
                  + "[0].masquerad is not a known field; known fields are name, "
                  + BINDINGS
                  + ", ports, portRanges");
    }

    @Test
    @DisplayName("an interface without a network of its name")
    void noNetwork() {
      assertThat(
              messages(
                  running(
                      "  devices:",
                      "    interfaces:",
                      "      - name: default",
                      "        masquerade: {}",
                      "networks:",
                      "  - name: pod-network",
                      "    pod: {}")))
          .containsExactly(
              INTERFACES
                  + "[0].name was 'default' but it must be the name of a network of spec.networks"
                  + " (pod-network)");
      assertThat(
              messages(
                  running(
                      "  devices:",
                      "    interfaces:",
                      "      - name: default",
                      "        masquerade: {}")))
          .containsExactly(
              INTERFACES
                  + "[0].name was 'default' but it must be the name of a network of spec.networks,"
                  + " which has none");
    }

    @Test
    @DisplayName("a network that is neither pod nor Multus, or misspelt")
    void networkSource() {
      assertThat(
              messages(
                  running(
                      "networks:",
                      "  - name: a",
                      "  - name: b",
                      "    pods: {}",
                      "  - name: c",
                      "    pod: {}",
                      "    multus: {networkName: x}")))
          .containsExactly(
              "spec.networks[0] was a map but it must have exactly one network source of pod,"
                  + " multus, resourceClaim; it has none",
              "spec.networks[1].pods is not a known field; known fields are name, pod, multus,"
                  + " resourceClaim",
              "spec.networks[2] was a map but it must have exactly one network source of pod,"
                  + " multus, resourceClaim; it has pod and multus");
    }

    @Test
    @DisplayName("a port out of range, and a port without its number")
    void ports() {
      assertThat(
              messages(
                  running(
                      "  devices:",
                      "    interfaces:",
                      "      - name: default",
                      "        masquerade: {}",
                      "        ports:",
                      "          - port: 70000",
                      "          - name: http",
                      "networks:",
                      "  - name: default",
                      "    pod: {}")))
          .containsExactly(
              INTERFACES
                  + "[0].ports[0].port was 70000 but it must be a TCP port between 0 and 65535",
              INTERFACES + "[0].ports[1].port is missing but it is required");
    }
  }

  @Nested
  @DisplayName("claims")
  class Claims {
    @Test
    @DisplayName("an unknown access mode, a fractional size and a bad namespace")
    void badClaim() {
      assertThat(
              allMessages(
                  "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: c\n"
                      + "  namespace: Prod\nspec:\n  accessModes: [ReadWriteSometimes]\n"
                      + "  resources: {requests: {storage: 1.5}}\n"))
          .containsExactly(
              "document 1: metadata.namespace was 'Prod' but it must be a DNS-1123 label (lower"
                  + " case letters, digits and '-', starting and ending with a letter or digit,"
                  + " at most 63 characters)",
              "document 1: spec.accessModes[0] was 'ReadWriteSometimes' but it must be one of"
                  + " ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod",
              "document 1: spec.resources.requests.storage was 1.5 but it must be a whole number"
                  + " of bytes up to 9223372036854775807");
    }

    @Test
    @DisplayName("a claim, or a VMI, given twice in one namespace")
    void duplicates() {
      String claim = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n";
      String vmi = running();

      assertThat(allMessages(vmi + "---\n" + claim + "---\n" + vmi + "---\n" + claim))
          .containsExactly(
              "document 3: metadata.name was 'vmi' but it must be unique among the VMIs of"
                  + " namespace 'default'; document 1 has the same name",
              "document 4: metadata.name was 'data' but it must be unique among the claims of"
                  + " namespace 'default'; document 2 has the same name");
      assertThat(
              Manifests.readAll(
                  claim + "---\n" + claim.replace("data\n", "data\n  namespace: b\n")))
          .hasSize(2);
    }

    @Test
    @DisplayName("a claim's manifest must be apiVersion v1")
    void claimApiVersion() {
      assertThat(
              allMessages(
                  "apiVersion: kubevirt.io/v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: c\n"))
          .containsExactly(
              "document 1: apiVersion was 'kubevirt.io/v1' but it must be v1 for kind"
                  + " PersistentVolumeClaim");
    }
  }

  @Nested
  @DisplayName("several problems at once")
  class AllAtOnce {
    @Test
    @DisplayName("missing node, two bindings, an unknown source: every problem of every document")
    void everyProblem() {
      String broken =
          vmi(
              List.of(
                  "  devices:",
                  "    interfaces:",
                  "      - name: default",
                  "        bridge: {}",
                  "        masquerade: {}",
                  "networks:",
                  "  - name: default",
                  "    pod: {}",
                  "volumes:",
                  "  - name: root",
                  "    containerDisk: {image: fedora}",
                  "  - name: shared",
                  "    nfs: {server: 10.0.0.1}"),
              "phase: Scheduling");
      String text =
          InstanceSnippets.FEDORA
              + "---\n"
              + broken
              + "---\n"
              + GuideSnippets.text(GuideSnippets.MIGRATION)
              + "---\n"
              + running().replace("guest: 1Gi", "guest: lots");

      ManifestException e =
          catchThrowableOfType(
              ManifestException.class, () -> Manifests.readVirtualMachineInstances(text));

      assertThat(e.problems())
          .extracting(Problem::message)
          .containsExactly(
              "document 2: "
                  + INTERFACES
                  + "[0] was a map but it must have exactly one binding of "
                  + BINDINGS
                  + "; it has bridge and masquerade",
              "document 2: spec.volumes[1].nfs is not a known field; known fields are name, "
                  + SOURCES,
              "document 2: " + NOT_RUNNING,
              "document 3: kind was 'VirtualMachineInstanceMigration' but it must be"
                  + " VirtualMachineInstance or PersistentVolumeClaim",
              "document 4: spec.domain.memory.guest was 'lots' but it must match"
                  + " <number><suffix> such as 64Mi, 1Gi or 500M");
      assertThat(e).hasMessageStartingWith("5 problems in manifest:\n  document 2: ");
    }
  }
}
