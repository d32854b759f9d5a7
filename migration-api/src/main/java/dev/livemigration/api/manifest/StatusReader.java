package dev.livemigration.api.manifest;

import static dev.livemigration.api.manifest.Converters.bool;
import static dev.livemigration.api.manifest.Converters.enumeration;
import static dev.livemigration.api.manifest.Converters.list;
import static dev.livemigration.api.manifest.Converters.portMap;
import static dev.livemigration.api.manifest.Converters.string;
import static dev.livemigration.api.manifest.Converters.timestamp;
import static dev.livemigration.api.manifest.Maps.nested;

import dev.livemigration.api.AbortStatus;
import dev.livemigration.api.Condition;
import dev.livemigration.api.ConditionStatus;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.MigrationNetworkType;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import dev.livemigration.api.manifest.Maps.Sub;
import java.util.List;
import java.util.Optional;

/**
 * Reads a VMI's {@code status}: its conditions, migration method and migration state, in camelCase
 * or as {@code kubectl describe} prints them.
 */
final class StatusReader {
  private StatusReader() {}

  /** A VMI's {@code status.migrationState}. */
  private static final Section<MigrationState.Builder> STATE =
      Section.<MigrationState.Builder>strict(
              () -> MigrationState.builder().migrationUid("probe"), MigrationState.Builder::build)
          .required("migrationUid", string(), MigrationState.Builder::migrationUid)
          .field("phase", enumeration(MigrationPhase.class), MigrationState.Builder::phase)
          // KubeVirt's modes: a paused post-copy is written as Paused, and read as a paused guest.
          .field(
              "mode",
              enumeration(
                  java.util.EnumSet.of(
                      MigrationMode.PRE_COPY, MigrationMode.POST_COPY, MigrationMode.PAUSED)),
              MigrationState.Builder::mode)
          .field("startTimestamp", timestamp(), (b, v) -> b.startTimestamp(v))
          .field("endTimestamp", timestamp(), (b, v) -> b.endTimestamp(v))
          .field("completed", bool(), MigrationState.Builder::completed)
          .field("failed", bool(), MigrationState.Builder::failed)
          .field("abortRequested", bool(), MigrationState.Builder::abortRequested)
          .field("abortStatus", enumeration(AbortStatus.class), (b, v) -> b.abortStatus(v))
          .field("failureReason", string(), (b, v) -> b.failureReason(v))
          .field("guestLocation", enumeration(GuestLocation.class), (b, v) -> b.guestLocation(v))
          .field(
              "migrationConfig",
              List.of("migrationConfiguration"),
              ManifestReader::configuration,
              (b, v) -> b.migrationConfig(v))
          .field("migrationPolicyName", string(), (b, v) -> b.migrationPolicyName(v))
          .field("sourceNode", string(), (b, v) -> b.sourceNode(v))
          .field("targetNode", string(), (b, v) -> b.targetNode(v))
          .field("targetNodeAddress", string(), (b, v) -> b.targetNodeAddress(v))
          .field(
              "targetNodeDomainDetected", bool(), MigrationState.Builder::targetNodeDomainDetected)
          .field("targetPod", string(), (b, v) -> b.targetPod(v))
          .field(
              "targetDirectMigrationNodePorts",
              portMap(
                  "targetDirectMigrationNodePorts",
                  (port, target) ->
                      MigrationState.builder()
                          .migrationUid("probe")
                          .putTargetDirectMigrationNodePorts(port, target)
                          .build()),
              MigrationState.Builder::targetDirectMigrationNodePorts)
          .field(
              "migrationNetworkType",
              enumeration(MigrationNetworkType.class),
              (b, v) -> b.migrationNetworkType(v))
          .warnIgnored(
              "it only means something to Kubernetes",
              "targetMemoryOverhead",
              "sourcePersistentStatePVCName",
              "targetPersistentStatePVCName",
              "targetAttachmentPodUID",
              "sourcePod",
              "targetCPUSet",
              "targetNodeTopology")
          .warnIgnored(
              "the engine does not keep it",
              "targetNodeDomainReadyTimestamp",
              "sourceState",
              "targetState");

  /** One of a VMI's {@code status.conditions}. */
  private static final Section<Condition.Builder> CONDITION =
      Section.<Condition.Builder>strict(
              () -> Condition.builder().type("probe").status(ConditionStatus.TRUE),
              Condition.Builder::build)
          .required("type", string(), Condition.Builder::type)
          .required("status", enumeration(ConditionStatus.class), Condition.Builder::status)
          .field("reason", string(), (b, v) -> b.reason(v))
          .field("message", string(), (b, v) -> b.message(v))
          .ignore("lastProbeTime", "lastTransitionTime");

  /** The migration-related fields of a VMI's {@code status}; the others are ignored. */
  private static final Section<VirtualMachineInstanceStatus.Builder> STATUS =
      Section.<VirtualMachineInstanceStatus.Builder>lenient(
              VirtualMachineInstanceStatus::builder, VirtualMachineInstanceStatus.Builder::build)
          .field(
              "conditions",
              StatusReader::conditions,
              VirtualMachineInstanceStatus.Builder::conditions)
          .field(
              "migrationMethod", enumeration(MigrationMethod.class), (b, v) -> b.migrationMethod(v))
          .field("migrationState", StatusReader::state, (b, v) -> b.migrationState(v));

  /** A VMI's migration state. */
  static Optional<MigrationState> state(Tree node, String path, Problems problems) {
    return nested(STATE, node, path, problems)
        .flatMap(
            values ->
                Section.build(
                    DerivedPhase.builder(values),
                    MigrationState.Builder::build,
                    values,
                    path,
                    problems,
                    problems.count()));
  }

  static Optional<VirtualMachineInstanceStatus> status(Sub sub, Problems problems) {
    return nested(STATUS, sub.mapping(), sub.path(), problems)
        .flatMap(
            values ->
                Section.build(
                    VirtualMachineInstanceStatus.builder(),
                    VirtualMachineInstanceStatus.Builder::build,
                    values,
                    sub.path(),
                    problems,
                    problems.count()));
  }

  /** A VMI's conditions: a list, or a single condition as {@code kubectl describe} shows it. */
  static Optional<List<Condition>> conditions(Tree node, String path, Problems problems) {
    if (node instanceof Tree.Mapping) {
      return condition(node, path, problems).map(List::of);
    }
    if (node instanceof Tree.Sequence) {
      return list(StatusReader::condition).convert(node, path, problems);
    }
    problems.invalid(path, node, "must be a list of conditions");
    return Optional.empty();
  }

  private static Optional<Condition> condition(Tree node, String path, Problems problems) {
    return nested(CONDITION, node, path, problems)
        .flatMap(
            values ->
                Section.build(
                    Condition.builder(),
                    Condition.Builder::build,
                    values,
                    path,
                    problems,
                    problems.count()));
  }
}
