package dev.livemigration.api.manifest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** The YAML snippets of KubeVirt's live-migration guide, copied verbatim into test resources. */
final class GuideSnippets {
  /** The request that starts a migration of {@code vmi-fedora}. */
  static final String MIGRATION = "virtual-machine-instance-migration.yaml";

  /** The capitalised {@code Status:} block with its single condition and migration method. */
  static final String STATUS = "status-conditions.yaml";

  /** The {@code Migration State:} of a successful migration. */
  static final String STATE_SUCCEEDED = "migration-state-succeeded.yaml";

  /** The {@code Migration State:} of an aborted migration. */
  static final String STATE_ABORTED = "migration-state-aborted.yaml";

  /** The 4-space indented {@code Kubevirt} CR with every cluster-wide migration limit. */
  static final String KUBEVIRT_LIMITS = "kubevirt-migration-limits.yaml";

  /** The NetworkAttachmentDefinition, which is not a kind this library reads. */
  static final String NETWORK_ATTACHMENT = "network-attachment-definition.yaml";

  /** The {@code Kubevirt} CR with the {@code LiveMigration} gate and a migration network. */
  static final String KUBEVIRT_NETWORK = "kubevirt-migration-network.yaml";

  /** The {@code Kubevirt} CR with {@code migrationConfiguration.disableTLS: true}. */
  static final String KUBEVIRT_DISABLE_TLS = "kubevirt-disable-tls.yaml";

  /** Every snippet this library reads, with the type to read it as. */
  static final List<Object[]> READABLE =
      List.of(
          new Object[] {MIGRATION, Object.class},
          new Object[] {STATUS, dev.livemigration.api.VirtualMachineInstanceStatus.class},
          new Object[] {STATE_SUCCEEDED, dev.livemigration.api.MigrationState.class},
          new Object[] {STATE_ABORTED, dev.livemigration.api.MigrationState.class},
          new Object[] {KUBEVIRT_LIMITS, Object.class},
          new Object[] {KUBEVIRT_NETWORK, Object.class},
          new Object[] {KUBEVIRT_DISABLE_TLS, Object.class});

  private GuideSnippets() {}

  /** Returns the text of a snippet. */
  static String text(String name) {
    try (InputStream in =
        Objects.requireNonNull(
            GuideSnippets.class.getResourceAsStream("/manifests/" + name), name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns the file of a snippet. */
  static Path path(String name) {
    try {
      return Path.of(
          Objects.requireNonNull(GuideSnippets.class.getResource("/manifests/" + name), name)
              .toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
