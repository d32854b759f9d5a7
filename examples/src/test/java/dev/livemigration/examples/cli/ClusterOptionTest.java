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
