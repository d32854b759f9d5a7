package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

@DisplayName("--host NAME=URI (libvirt hosts as the target)")
class HostOptionTest {

  @ParameterizedTest(name = "--host {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "node01|--host must be NAME=URI, as node01=qemu+tls://node01.example/system, but was"
            + " 'node01'",
        "=qemu:///system|--host must be NAME=URI",
        "node01=|--host must be NAME=URI",
        "node01=node01.example|--host node01 must have a libvirt URI with a scheme",
        "node01=qemu+tls://bad host/system|but was 'qemu+tls://bad host/system'"
      })
  @DisplayName("a malformed --host is bad input naming the option, the rule and the value")
  void malformed(String host, String message) {
    Cli cli = Cli.run("status", "test", "--host", host);

    assertThat(cli.code()).as(cli.toString()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err()).contains(message);
  }

  @Test
  @DisplayName("a node given twice is bad input naming both URIs")
  void twice() {
    Cli cli =
        Cli.run(
            "migrate",
            "web",
            "--host",
            "node01=qemu:///system",
            "--host",
            "node01=test:///default");

    assertThat(cli.code()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err())
        .contains(
            "--host names must be unique, but node01 was given twice ('qemu:///system' and"
                + " 'test:///default')");
  }

  @Test
  @DisplayName("reads a real domain's status through libvirt's test driver")
  void libvirtTestDriver() {
    assumeTrue(libvirtAvailable(), "libvirt's C library (libvirt0) is not installed");

    Cli cli = Cli.run("status", "test", "--host", "node-a=test:///default", "-o", "yaml");

    assertThat(cli.code()).as(cli.toString()).isZero();
    assertThat(cli.out()).contains("type: LiveMigratable").contains("status: \"True\"");
  }

  @Test
  @DisplayName("a domain that no host runs is an unknown VMI: exit 2")
  void unknownDomain() {
    assumeTrue(libvirtAvailable(), "libvirt's C library (libvirt0) is not installed");

    Cli cli = Cli.run("migrate", "web", "--host", "node-a=test:///default");

    assertThat(cli.code()).as(cli.toString()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err()).contains("default/web is not running");
  }

  private static boolean libvirtAvailable() {
    try {
      new Connect("test:///default", true).close();
      return true;
    } catch (LibvirtException | LinkageError e) {
      return false;
    }
  }
}
