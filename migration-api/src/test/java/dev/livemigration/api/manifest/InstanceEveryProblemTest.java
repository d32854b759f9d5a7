package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.manifest.ManifestException.Problem;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A VMI lists every problem, also name checks beside bad list items")
class InstanceEveryProblemTest {
  private static List<String> messages(String text) {
    ManifestException e =
        catchThrowableOfType(
            ManifestException.class, () -> Manifests.read(text, VirtualMachineInstance.class));
    assertThat(e).as("reading should fail:\n%s", text).isNotNull();
    return e.problems().stream().map(Problem::message).toList();
  }

  @Test
  @DisplayName("six problems in volumes, interfaces and networks: six listed")
  void sixProblems() {
    String text =
        """
        apiVersion: kubevirt.io/v1
        kind: VirtualMachineInstance
        metadata:
          name: vmi
        spec:
          domain:
            memory:
              guest: 1Gi
            devices:
              interfaces:
                - name: default
                  masquerade: {}
                  ports:
                    - port: http
                - name: default
                  masquerade: {}
                - name: other
                  bridge: {}
          networks:
            - name: default
              pod: {}
            - name: storage
              multus: {}
              pods: {}
          volumes:
            - name: data
              persistentVolumeClam:
                claimName: data
            - name: data
              containerDisk: {}
        status:
          nodeName: node01
        """;

    assertThat(messages(text))
        .containsExactlyInAnyOrder(
            "spec.domain.devices.interfaces[0].ports[0].port was 'http' but it must be an integer",
            "spec.domain.devices.interfaces[1].name was 'default' but it must be unique;"
                + " spec.domain.devices.interfaces[0] has the same name",
            "spec.domain.devices.interfaces[2].name was 'other' but it must be the name of a"
                + " network of spec.networks (default, storage)",
            "spec.networks[1].pods is not a known field; known fields are name, pod, multus,"
                + " resourceClaim",
            "spec.volumes[0].persistentVolumeClam is not a known field; known fields are name,"
                + " persistentVolumeClaim, dataVolume, containerDisk, emptyDisk, hostDisk,"
                + " ephemeral, memoryDump, containerPath,"
                + " cloudInitNoCloud, cloudInitConfigDrive, configMap, secret, serviceAccount,"
                + " sysprep, downwardAPI, downwardMetrics",
            "spec.volumes[1].name was 'data' but it must be unique; spec.volumes[0] has the same"
                + " name");
  }

  @Test
  @DisplayName("a network without a name: no guess about which interface it was meant for")
  void namelessNetwork() {
    String text =
        """
        apiVersion: kubevirt.io/v1
        kind: VirtualMachineInstance
        metadata:
          name: vmi
        spec:
          domain:
            memory:
              guest: 1Gi
            devices:
              interfaces:
                - name: default
                  masquerade: {}
          networks:
            - pod: {}
        status:
          nodeName: node01
        """;

    assertThat(messages(text))
        .containsExactly("spec.networks[0].name is missing but it is required");
  }
}
