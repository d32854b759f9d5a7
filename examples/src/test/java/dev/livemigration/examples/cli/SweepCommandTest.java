package dev.livemigration.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.core.strategy.Strategies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.w3c.dom.Document;
import org.xml.sax.SAXException;

@DisplayName("sweep: strategies across dirty rates, as a CSV and an SVG chart")
class SweepCommandTest {

  @Test
  @DisplayName("writes a CSV row per strategy and rate, and a well-formed SVG with a mark for each")
  void csvAndSvg(@TempDir Path dir) throws Exception {
    Cli cli =
        Cli.run("sweep", "--memory", "256Mi", "--ratios", "3,0.5,0.25", "--out", dir.toString());

    assertThat(cli.code()).as(cli.toString()).isZero();
    List<String> rows = Files.readAllLines(dir.resolve("sweep.csv"));
    assertThat(rows.get(0))
        .isEqualTo("strategy,ratio,outcome,seconds,sent_per_memory,downtime_ms,mode");
    List<String> keys =
        rows.stream().skip(1).map(r -> r.split(",")[0] + "@" + r.split(",")[1]).toList();
    List<String> expected =
        Strategies.ids().stream()
            .flatMap(id -> List.of("0.25", "0.5", "3").stream().map(ratio -> id + "@" + ratio))
            .toList();
    assertThat(keys).containsExactlyElementsOf(expected);
    assertThat(rows).anyMatch(r -> r.startsWith("post-copy,3,succeeded,"));

    Document svg = parse(dir.resolve("sweep.svg"));
    assertThat(svg.getDocumentElement().getTagName()).isEqualTo("svg");
    int marks =
        svg.getElementsByTagName("circle").getLength()
            + svg.getElementsByTagName("path").getLength();
    assertThat(marks).isEqualTo(2 * expected.size());
    assertThat(svg.getElementsByTagName("polyline").getLength())
        .isEqualTo(2 * Strategies.ids().size());
  }

  @Test
  @DisplayName("--strategy picks the strategies; -o json reports every point")
  void someStrategiesAsJson(@TempDir Path dir) throws IOException {
    Cli cli =
        Cli.run(
            "sweep",
            "--memory",
            "128Mi",
            "--strategy",
            "pre-copy,post-copy",
            "--ratios",
            "1.5",
            "--out",
            dir.toString(),
            "-o",
            "json");

    assertThat(cli.code()).as(cli.toString()).isZero();
    var points =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(cli.out()).path("points");
    assertThat(points).hasSize(2);
    assertThat(points.get(0).path("strategy").asText()).isEqualTo("pre-copy");
    assertThat(points.get(1).path("strategy").asText()).isEqualTo("post-copy");
    assertThat(points.get(1).path("outcome").asText()).isEqualTo("succeeded");
    assertThat(points.get(1).path("mode").asText()).isEqualTo("PostCopy");
    assertThat(points.get(1).path("ratio").asDouble()).isEqualTo(1.5);
    assertThat(Files.readAllLines(dir.resolve("sweep.csv"))).hasSize(3);
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--bandwidth|0|Invalid value for option '--bandwidth': must be positive, but was '0'",
        "--memory|1Gx|Invalid value for option '--memory': quantity must match",
        "--ratios|0.5,0|--ratios must each be above 0 and at most 100, but one was 0",
        "--ratios|0.5,0.50|--ratios must not repeat a value",
        "--ratios|fast|Invalid value for option '--ratios'",
        "--strategy|warp|--strategy must be one of pre-copy, post-copy, auto-converge, hybrid,"
            + " kubevirt, but was 'warp'"
      })
  @DisplayName("bad options are bad input naming the option, the rule and the value")
  void badOptions(String option, String value, String message, @TempDir Path dir) {
    Cli cli = Cli.run("sweep", option, value, "--out", dir.toString());

    assertThat(cli.code()).as(cli.toString()).isEqualTo(LiveMigrationCli.BAD_INPUT);
    assertThat(cli.err()).contains(message);
  }

  private static Document parse(Path file)
      throws ParserConfigurationException, SAXException, IOException {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return factory.newDocumentBuilder().parse(file.toFile());
  }
}
