package dev.livemigration.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.Drain;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import dev.livemigration.examples.text.StatusFormat;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What one CLI invocation does to one target: the migrations it starts, the cancels it asks for,
 * the VMIs a drain left behind, and, at the end, whether every migration ended as asked.
 *
 * <p>A migration ended as asked if it succeeded, or, when the session cancelled it, if the abort
 * succeeded (the guest stayed on its source). A cancel that comes too late (the migration completed
 * or is in post-copy) is not what was asked.
 */
final class Session implements AutoCloseable {
  private final Target target;
  private final Instant start;
  private final List<MigrationHandle> migrations = new ArrayList<>();
  private final Set<String> cancelled = new HashSet<>();
  private final Map<String, String> skipped = new LinkedHashMap<>();

  Session(Target target) {
    this.target = target;
    this.start = target.now();
  }

  /** How long the session has run, on the target's clock. */
  Duration elapsed() {
    return Duration.between(start, target.now());
  }

  /** Starts a migration, as {@code virtctl migrate} does: it runs while the session goes on. */
  MigrationHandle migrate(VirtualMachineInstanceMigration request) {
    MigrationHandle handle = target.engine().migrate(request);
    migrations.add(handle);
    return handle;
  }

  /** The engine of this session's target. */
  MigrationEngine engine() {
    return target.engine();
  }

  /**
   * Cancels the VMI's migration in progress, as {@code virtctl migrate-cancel} does.
   *
   * @return the cancelled migration; if it had already ended, it is returned too (with {@code
   *     inProgress} false), and counts as a cancel that came too late
   * @throws IllegalArgumentException if this session never migrated the VMI
   */
  Cancel cancel(String namespace, String vmiName) {
    Optional<MigrationHandle> inProgress = target.engine().cancelForVmi(namespace, vmiName);
    MigrationHandle handle =
        inProgress
            .or(() -> latest(namespace, vmiName))
            .orElseThrow(() -> notMigrating(namespace, vmiName));
    if (!migrations.contains(handle)) {
      migrations.add(handle);
    }
    cancelled.add(handle.uid());
    return new Cancel(handle, inProgress.isPresent());
  }

  /** A cancel: of which migration, and whether it was still in progress. */
  record Cancel(MigrationHandle migration, boolean inProgress) {}

  private Optional<MigrationHandle> latest(String namespace, String vmiName) {
    return migrations.stream()
        .filter(h -> h.request().namespace().equals(namespace))
        .filter(h -> h.request().vmiName().equals(vmiName))
        .reduce((earlier, later) -> later);
  }

  private static IllegalArgumentException notMigrating(String namespace, String vmiName) {
    return new IllegalArgumentException(
        "migrate-cancel needs a VMI that is migrating, but "
            + namespace
            + "/"
            + vmiName
            + " is not");
  }

  /** Starts evacuating a node; the VMIs that cannot migrate are remembered for the summary. */
  Drain drain(String node) {
    Drain drain = target.engine().drain(node);
    drain.migrations().stream().filter(h -> !migrations.contains(h)).forEach(migrations::add);
    skipped.putAll(drain.skipped());
    return drain;
  }

  /** A VMI's status now. */
  VirtualMachineInstanceStatus status(String namespace, String vmiName) {
    return target.engine().status(namespace, vmiName);
  }

  /** Lets time pass while the migrations run. */
  void pass(Duration duration) {
    target.pass(duration);
  }

  /** Waits until every migration of the session has ended; returns how each ended. */
  List<Outcome> finish() {
    List<MigrationState> states = target.await(migrations);
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < states.size(); i++) {
      MigrationHandle handle = migrations.get(i);
      outcomes.add(new Outcome(handle.request(), states.get(i), cancelled.contains(handle.uid())));
    }
    return outcomes;
  }

  /** The VMIs drains could not migrate, by {@code namespace/name}, with the reason. */
  Map<String, String> skipped() {
    return skipped;
  }

  /**
   * {@link LiveMigrationCli#OK} if every migration ended as asked, else {@code MIGRATION_FAILED}.
   */
  static int exitCode(List<Outcome> outcomes) {
    return outcomes.stream().allMatch(Outcome::asAsked)
        ? LiveMigrationCli.OK
        : LiveMigrationCli.MIGRATION_FAILED;
  }

  /** The summary report: every migration with its final state, and the VMIs left behind. */
  ObjectNode report(List<Outcome> outcomes) {
    ObjectNode report = Output.object();
    ArrayNode list = report.putArray("migrations");
    for (Outcome outcome : outcomes) {
      ObjectNode entry = list.addObject();
      entry.put("namespace", outcome.request().namespace());
      entry.put("name", outcome.request().name());
      entry.put("vmiName", outcome.request().vmiName());
      entry.put("cancelRequested", outcome.cancelRequested());
      entry.put("endedAsAsked", outcome.asAsked());
      entry.set("migrationState", Output.tree(outcome.state()));
    }
    ArrayNode left = report.putArray("skipped");
    skipped.forEach((vmi, reason) -> left.addObject().put("vmi", vmi).put("reason", reason));
    return report;
  }

  /** The summary for people: one headline and the guide's Migration State per migration. */
  String describe(List<Outcome> outcomes) {
    StringBuilder text = new StringBuilder();
    for (Outcome outcome : outcomes) {
      VirtualMachineInstanceMigration request = outcome.request();
      text.append(request.namespace())
          .append('/')
          .append(request.vmiName())
          .append(" (migration ")
          .append(request.name())
          .append("): ")
          .append(outcome.headline())
          .append('\n')
          .append(StatusFormat.describe(outcome.state()));
    }
    skipped.forEach(
        (vmi, reason) ->
            text.append("skipped ").append(vmi).append(": ").append(reason).append('\n'));
    return text.toString();
  }

  @Override
  public void close() {
    target.close();
  }

  /** How one migration ended, and whether the session had asked to cancel it. */
  record Outcome(
      VirtualMachineInstanceMigration request, MigrationState state, boolean cancelRequested) {

    /** Succeeded as asked, or stopped by the cancel that was asked for. */
    boolean asAsked() {
      return cancelRequested
          ? state.abortStatus().equals(Optional.of(AbortStatus.SUCCEEDED))
          : !state.failed();
    }

    /** One line on how it ended. */
    String headline() {
      if (cancelRequested) {
        return asAsked()
            ? "cancelled, the VMI stays on its source"
            : "the cancel came too late, the migration "
                + (state.failed() ? "failed" : "succeeded");
      }
      return state.failed()
          ? "failed: " + state.failureReason().orElse("no reason given")
          : "succeeded";
    }
  }
}
