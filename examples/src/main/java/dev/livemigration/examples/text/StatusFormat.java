package dev.livemigration.examples.text;

import dev.livemigration.api.Condition;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Writes states in the {@code kubectl describe} form the KubeVirt guide shows. */
public final class StatusFormat {
  private static final int WIDTH = 36;

  private StatusFormat() {}

  /** Describes a VMI status: its conditions, migration method and migration state. */
  public static String describe(VirtualMachineInstanceStatus status) {
    StringBuilder out = new StringBuilder("Status:\n");
    for (Condition condition : status.conditions()) {
      out.append("  Conditions:\n");
      line(out, 4, "Status", pascal(condition.status().name()));
      line(out, 4, "Type", condition.type());
      condition.reason().ifPresent(reason -> line(out, 4, "Reason", reason));
      condition.message().ifPresent(message -> line(out, 4, "Message", message));
    }
    status.migrationMethod().ifPresent(m -> line(out, 2, "Migration Method", pascal(m.name())));
    status.migrationState().ifPresent(state -> out.append(indent(describe(state), 2)));
    return out.toString();
  }

  /** Describes a migration state as the guide's {@code Migration State:} block. */
  public static String describe(MigrationState state) {
    StringBuilder out = new StringBuilder("Migration State:\n");
    if (state.abortRequested()) {
      line(out, 4, "Abort Requested", "true");
    }
    state.abortStatus().ifPresent(s -> line(out, 4, "Abort Status", pascal(s.name())));
    line(out, 4, "Completed", String.valueOf(state.completed()));
    time(out, "End Timestamp", state.endTimestamp());
    if (state.failed()) {
      line(out, 4, "Failed", "true");
    }
    state.failureReason().ifPresent(reason -> line(out, 4, "Failure Reason", reason));
    state.migrationConfig().ifPresent(config -> config(out, config));
    state.migrationPolicyName().ifPresent(name -> line(out, 4, "Migration Policy Name", name));
    line(out, 4, "Migration UID", state.migrationUid());
    line(out, 4, "Mode", pascal(state.mode().name()));
    line(out, 4, "Phase", pascal(state.phase().name()));
    state.sourceNode().ifPresent(node -> line(out, 4, "Source Node", node));
    time(out, "Start Timestamp", state.startTimestamp());
    if (!state.targetDirectMigrationNodePorts().isEmpty()) {
      out.append("    Target Direct Migration Node Ports:\n");
      for (Map.Entry<Integer, Integer> port : state.targetDirectMigrationNodePorts().entrySet()) {
        line(out, 6, String.valueOf(port.getKey()), String.valueOf(port.getValue()));
      }
    }
    state.targetNode().ifPresent(node -> line(out, 4, "Target Node", node));
    state.targetNodeAddress().ifPresent(a -> line(out, 4, "Target Node Address", a));
    line(out, 4, "Target Node Domain Detected", String.valueOf(state.targetNodeDomainDetected()));
    state.targetPod().ifPresent(pod -> line(out, 4, "Target Pod", pod));
    return out.toString();
  }

  private static void config(StringBuilder out, MigrationConfiguration config) {
    out.append("    Migration Config:\n");
    line(out, 6, "Allow Auto Converge", String.valueOf(config.allowAutoConverge()));
    line(out, 6, "Allow Post Copy", String.valueOf(config.allowPostCopy()));
    line(out, 6, "Bandwidth Per Migration", config.bandwidthPerMigration().toString());
    line(
        out,
        6,
        "Completion Timeout Per GiB",
        String.valueOf(config.completionTimeoutPerGiB().toSeconds()));
    line(out, 6, "Progress Timeout", String.valueOf(config.progressTimeout().toSeconds()));
  }

  private static void time(StringBuilder out, String label, Optional<Instant> instant) {
    instant.ifPresent(t -> line(out, 4, label, t.truncatedTo(ChronoUnit.SECONDS).toString()));
  }

  private static void line(StringBuilder out, int indent, String label, String value) {
    String key = " ".repeat(indent) + label + ":";
    out.append(key)
        .append(" ".repeat(Math.max(1, WIDTH - key.length())))
        .append(value)
        .append('\n');
  }

  private static String indent(String text, int spaces) {
    return text.lines().map(l -> " ".repeat(spaces) + l + "\n").reduce("", String::concat);
  }

  /** PRE_COPY → PreCopy, as the guide writes enum values. */
  public static String pascal(String constant) {
    StringBuilder out = new StringBuilder();
    for (String part : constant.split("_")) {
      out.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
    }
    return out.toString();
  }
}
