package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("--cluster FILE (the simulated cluster's VMIs from KubeVirt manifests)")
class ClusterOptionTest {
  private static final String CLUSTER =
      """
      apiVersion: kubevirt.io/v1
      kind: VirtualMachineInstance
      metadata:
        name: vmi-db
        namespace: prod
        labels:
          app: db
      spec:
        domain:
          memory:
            guest: 2Gi
          devices:
            interfaces:
              - name: default
                masquerade: {}
        networks:
          - name: default
            pod: {}
        volumes:
          - name: data
            persistentVolumeClaim:
              claimName: db-data
      status:
        nodeName: worker-7
      ---
      apiVersion: v1
      kind: PersistentVolumeClaim
      metadata:
        name: db-data
        namespace: prod
      spec:
        accessModes:
          - ReadWriteOnce
      ---
      apiVersion: kubevirt.io/v1
      kind: VirtualMachineInstance
      metadata:
        name: vmi-web
        namespace: prod
      spec:
        domain:
          memory:
            guest: 1Gi
      status:
        nodeName: worker-7
      """;

  @Test
  @DisplayName(
      "places the file's VMIs on their nodes, migrates one and refuses another with its reason")
  void migratesFromManifests(@TempDir Path dir) throws IOException {
    Path cluster = Files.writeString(dir.resolve("cluster.yaml"), CLUSTER);

    Cli web = Cli.run("migrate", "vmi-web", "-n", "prod", "--cluster", cluster.toString());
    Cli db = Cli.run("migrate", "vmi-db", "-n", "prod", "--cluster", cluster.toString());

    assertThat(web.code()).as(web.toString()).isEqualTo(LiveMigrationCli.OK);
    assertThat(web.out()).contains("Source Node:", "worker-7", "Phase:", "Succeeded");
    assertThat(db.code()).as(db.toString()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(db.err()).contains("ReadWriteOnce");
  }

  private static final String PLUGIN_VMI =
      """
      apiVersion: kubevirt.io/v1
      kind: VirtualMachineInstance
      metadata:
        name: vmi-passt
        namespace: prod
      spec:
        domain:
          memory:
            guest: 1Gi
          devices:
            interfaces:
              - name: default
                binding:
                  name: passt
        networks:
          - name: default
            pod: {}
      status:
        nodeName: worker-7
      """;

  private static final String KUBEVIRT_WITH_PASST =
      """
      apiVersion: kubevirt.io/v1
      kind: KubeVirt
      metadata:
        name: kubevirt
        namespace: kubevirt
      spec:
        configuration:
          network:
            binding:
              passt:
                sidecarImage: quay.io/kubevirt/network-passt-binding:v1.4.0
                migration:
                  method: link-refresh
      """;

  @Test
  @DisplayName(
      "a VMI on a binding plugin: refused unless the KubeVirt CR (--config or --cluster)"
          + " registers it with a migration method")
  void bindingPlugins(@TempDir Path dir) throws IOException {
    Path vmiOnly = Files.writeString(dir.resolve("cluster.yaml"), PLUGIN_VMI);
    Path withCr =
        Files.writeString(dir.resolve("with-cr.yaml"), PLUGIN_VMI + "---\n" + KUBEVIRT_WITH_PASST);
    Path config = Files.writeString(dir.resolve("kubevirt.yaml"), KUBEVIRT_WITH_PASST);

    Cli refused = Cli.run("migrate", "vmi-passt", "-n", "prod", "--cluster", vmiOnly.toString());
    Cli viaConfig =
        Cli.run(
            "migrate",
            "vmi-passt",
            "-n",
            "prod",
            "--cluster",
            vmiOnly.toString(),
            "--config",
            config.toString());
    Cli viaCluster = Cli.run("migrate", "vmi-passt", "-n", "prod", "--cluster", withCr.toString());

    assertThat(refused.code()).as(refused.toString()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(refused.err())
        .contains("binding plugin 'passt'", "spec.configuration.network.binding.passt.migration");
    assertThat(viaConfig.code()).as(viaConfig.toString()).isEqualTo(LiveMigrationCli.OK);
    assertThat(viaConfig.out()).contains("Phase:", "Succeeded");
    assertThat(viaCluster.code()).as(viaCluster.toString()).isEqualTo(LiveMigrationCli.OK);
    assertThat(viaCluster.out()).contains("Phase:", "Succeeded");
  }

  @Test
  @DisplayName("with --host is bad input naming both")
  void notWithHosts(@TempDir Path dir) throws IOException {
    Path cluster = Files.writeString(dir.resolve("cluster.yaml"), CLUSTER);

    Cli cli =
        Cli.run("status", "vmi-web", "--cluster", cluster.toString(), "--host", "a=qemu:///system");

    assertThat(cli.code()).as(cli.toString()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err()).contains("--cluster", "--host", "cluster.yaml");
  }
}
