package dev.livemigration.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Prometheus text scrape, parsed: each sample by name and labels. */
record Scrape(String text, Map<String, Map<Map<String, String>, Double>> samples) {
  private static final Pattern LINE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)$");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  static Scrape parse(String text) {
    Map<String, Map<Map<String, String>, Double>> samples = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new AssertionError("not a sample line: " + line);
      }
      Map<String, String> labels = new TreeMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      samples
          .computeIfAbsent(m.group(1), k -> new LinkedHashMap<>())
          .put(labels, Double.parseDouble(m.group(4)));
    }
    return new Scrape(text, samples);
  }

  /** The value of the one sample of {@code name} with exactly these labels. */
  Optional<Double> value(String name, Map<String, String> labels) {
    return Optional.ofNullable(samples.getOrDefault(name, Map.of()).get(new TreeMap<>(labels)));
  }

  /** The samples of {@code name}, by labels. */
  Map<Map<String, String>, Double> series(String name) {
    return samples.getOrDefault(name, Map.of());
  }

  /** The TYPE line's type of a metric family, if the scrape has one. */
  Optional<String> type(String name) {
    for (String line : text.split("\n")) {
      if (line.startsWith("# TYPE " + name + " ")) {
        return Optional.of(line.substring(("# TYPE " + name + " ").length()).trim());
      }
    }
    return Optional.empty();
  }
}
