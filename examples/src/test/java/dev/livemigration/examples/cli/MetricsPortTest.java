package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The CLI's --metrics-port")
class MetricsPortTest {

  @Test
  @DisplayName("serves the metrics on loopback while the command runs, then the result as usual")
  void serves() {
    Cli cli = Cli.run("migrate", "vmi-fedora", "--metrics-port", "0");
    assertThat(cli.code()).as(cli.toString()).isZero();
    assertThat(cli.err())
        .as(cli.toString())
        .containsPattern("Serving metrics on http://127\\.0\\.0\\.1:\\d+/metrics");
    assertThat(cli.out()).contains("vmi-fedora");
  }

  @Test
  @DisplayName("refuses a port that is no port, with the option's rule")
  void notAPort() {
    for (String bad : new String[] {"abc", "-1", "65536", "1.5"}) {
      Cli cli = Cli.run("migrate", "vmi-fedora", "--metrics-port", bad);
      assertThat(cli.code()).as(cli.toString()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(cli.err())
          .as(cli.toString())
          .contains(
              "error: --metrics-port must be a TCP port from 1 to 65535 (or 0 for any free one),"
                  + " but was '"
                  + bad
                  + "'");
    }
  }

  @Test
  @DisplayName("says so when the port is taken")
  void taken() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();
      Cli cli = Cli.run("migrate", "vmi-fedora", "--metrics-port", Integer.toString(port));
      assertThat(cli.code()).as(cli.toString()).isEqualTo(LiveMigrationCli.BAD_INPUT);
      assertThat(cli.err())
          .as(cli.toString())
          .contains("error: --metrics-port " + port + ": cannot listen on 127.0.0.1:" + port);
    }
  }
}
