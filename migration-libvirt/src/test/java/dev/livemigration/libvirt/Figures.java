package dev.livemigration.libvirt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The measured figures of the integration migrations: for each, the engine's run and {@code virsh
 * migrate} doing the same migration in the same run, written to {@code target/libvirt-figures.md}
 * and logged.
 */
final class Figures {
  private static final Logger LOG = LoggerFactory.getLogger(Figures.class);
  private static final List<String> ROWS = new ArrayList<>();

  private Figures() {}

  /**
   * Records one migration.
   *
   * @param migration what was migrated, and how
   * @param tool {@code engine} or the virsh command's flags
   * @param wallMillis from the request to the end, as the caller saw it
   * @param libvirtMillis the job's elapsed time as libvirt reported it, if it did
   * @param downtimeMillis the guest's downtime as libvirt reported it, if it did
   */
  static synchronized void record(
      String migration,
      String tool,
      long wallMillis,
      Optional<Long> libvirtMillis,
      Optional<Long> downtimeMillis) {
    String row =
        "| "
            + migration
            + " | "
            + tool
            + " | "
            + wallMillis
            + " | "
            + libvirtMillis.map(String::valueOf).orElse("n/a")
            + " | "
            + downtimeMillis.map(String::valueOf).orElse("n/a")
            + " |";
    ROWS.add(row);
    LOG.info("Figure: {}", row);
  }

  /** Writes the table to {@code target/libvirt-figures.md}. */
  static synchronized void write() {
    if (ROWS.isEmpty()) {
      return;
    }
    List<String> lines = new ArrayList<>();
    lines.add("# libvirt integration migrations: engine vs. virsh (same run, same machine)");
    lines.add("");
    lines.add("| migration | by | wall time (ms) | libvirt job time (ms) | downtime (ms) |");
    lines.add("|---|---|---|---|---|");
    lines.addAll(ROWS);
    Path file = LibvirtDaemons.buildDir().resolve("libvirt-figures.md");
    try {
      Files.write(file, lines);
    } catch (IOException e) {
      LOG.warn("Could not write {}", file, e);
    }
    LOG.info("Migration figures ({}):\n{}", file, String.join("\n", lines));
  }
}
