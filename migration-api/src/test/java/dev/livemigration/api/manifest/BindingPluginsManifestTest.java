package dev.livemigration.api.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livemigration.api.BindingMigrationMethod;
import dev.livemigration.api.InvalidValueException;
import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.NetworkBindingPlugin;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("KubeVirt CRs: network binding plugins (spec.configuration.network.binding)")
class BindingPluginsManifestTest {
  private static final String HEADER =
      "apiVersion: kubevirt.io/v1\nkind: KubeVirt\nspec:\n  configuration:\n    network:\n";

  private static List<String> problems(String text) {
    return catchThrowableOfType(ManifestException.class, () -> Manifests.read(text, KubeVirt.class))
        .problems()
        .stream()
        .map(ManifestException.Problem::message)
        .toList();
  }

  @Test
  @DisplayName("a real-shaped CR: each plugin read, those with a migration block migratable")
  void realShapedCr() {
    ManifestResult<KubeVirt> read =
        Manifests.readWithWarnings(
            GuideSnippets.path("kubevirt-network-binding-plugins.yaml"), KubeVirt.class);

    assertThat(read.warnings()).isEmpty();
    assertThat(read.value())
        .isEqualTo(
            KubeVirt.builder()
                .addFeatureGates("NetworkBindingPlugins")
                .migrations(MigrationConfiguration.builder().allowAutoConverge(true).build())
                .addBindingPlugins(
                    NetworkBindingPlugin.linkRefresh("passt"),
                    NetworkBindingPlugin.builder().name("managedtap").migratable(true).build(),
                    NetworkBindingPlugin.builder().name("macvtap").build())
                .build());
    assertThat(read.value().migratableBindingPlugins()).containsOnly("passt", "managedtap");
  }

  @Test
  @DisplayName("written back and read again unchanged")
  void roundTrip() {
    KubeVirt kubeVirt =
        Manifests.read(GuideSnippets.path("kubevirt-network-binding-plugins.yaml"), KubeVirt.class);

    String yaml = Manifests.toYaml(kubeVirt);

    assertThat(yaml)
        .endsWith(
            "    network:\n"
                + "      binding:\n"
                + "        passt:\n"
                + "          migration:\n"
                + "            method: link-refresh\n"
                + "        managedtap:\n"
                + "          migration: {}\n"
                + "        macvtap: {}\n");
    assertThat(Manifests.read(yaml)).isEqualTo(kubeVirt);
    assertThat(Manifests.read(Manifests.toJson(kubeVirt))).isEqualTo(kubeVirt);
  }

  @Test
  @DisplayName("no network, or one without plugins: nothing registered, nothing written")
  void none() {
    assertThat(Manifests.read(HEADER + "      defaultNetworkInterface: bridge\n", KubeVirt.class))
        .isEqualTo(KubeVirt.builder().build());
    assertThat(Manifests.read(HEADER + "      binding: {}\n", KubeVirt.class).bindingPlugins())
        .isEmpty();
    assertThat(Manifests.toYaml(KubeVirt.builder().build())).doesNotContain("network");
  }

  @Test
  @DisplayName("a plugin written as null or with method left empty, as KubeVirt reads them")
  void nullAndEmpty() {
    KubeVirt kubeVirt =
        Manifests.read(
            HEADER
                + "      binding:\n        bare: null\n"
                + "        blank:\n          migration:\n            method: ''\n",
            KubeVirt.class);

    assertThat(kubeVirt.bindingPlugins())
        .containsExactly(
            NetworkBindingPlugin.builder().name("bare").build(),
            NetworkBindingPlugin.builder().name("blank").migratable(true).build());
    assertThat(kubeVirt.migratableBindingPlugins()).isEqualTo(Set.of("blank"));
  }

  @Test
  @DisplayName("an unknown migration method, or a migration that is not a map, is a problem")
  void badValues() {
    assertThat(
            problems(
                HEADER
                    + "      binding:\n        passt:\n          migration:\n"
                    + "            method: LinkRefresh\n"
                    + "        other:\n          migration: true\n"
                    + "        third: [a]\n"))
        .containsExactly(
            "spec.configuration.network.binding.passt.migration.method was 'LinkRefresh' but it"
                + " must be link-refresh (the migration methods KubeVirt defines) or be left out",
            "spec.configuration.network.binding.other.migration was true but it must be a map",
            "spec.configuration.network.binding.third was a list but it must be a map");
  }

  @Test
  @DisplayName("a misspelt field of a plugin or of network draws a warning")
  void misspelt() {
    ManifestResult<KubeVirt> read =
        Manifests.readWithWarnings(
            HEADER
                + "      bindings: {}\n"
                + "      binding:\n        passt:\n          migraton:\n"
                + "            method: link-refresh\n",
            KubeVirt.class);

    assertThat(read.value().migratableBindingPlugins()).isEmpty();
    assertThat(read.warnings())
        .extracting(ManifestWarning::message)
        .containsExactly(
            "spec.configuration.network.bindings is not a known field and is ignored; did you"
                + " mean spec.configuration.network.binding?",
            "spec.configuration.network.binding.passt.migraton is not a known field and is"
                + " ignored; did you mean spec.configuration.network.binding.passt.migration?");
  }

  @Test
  @DisplayName("the model refuses a plugin named twice or a method without migratable")
  void modelRules() {
    assertThatExceptionOfType(InvalidValueException.class)
        .isThrownBy(
            () ->
                KubeVirt.builder()
                    .addBindingPlugins(
                        NetworkBindingPlugin.linkRefresh("passt"),
                        NetworkBindingPlugin.builder().name("passt").build())
                    .build())
        .withMessageContaining("spec.configuration.network.binding")
        .withMessageContaining("must name each plugin once")
        .withMessageContaining("'passt'");
    assertThatExceptionOfType(InvalidValueException.class)
        .isThrownBy(
            () ->
                NetworkBindingPlugin.builder()
                    .name("passt")
                    .migrationMethod(BindingMigrationMethod.LINK_REFRESH)
                    .build())
        .withMessageContaining("migrationMethod");
    assertThatExceptionOfType(InvalidValueException.class)
        .isThrownBy(() -> NetworkBindingPlugin.builder().name(" ").build())
        .withMessageContaining("name");
  }
}
