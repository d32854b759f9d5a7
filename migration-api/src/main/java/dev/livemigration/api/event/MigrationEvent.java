package dev.livemigration.api.event;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import java.time.Instant;
import java.util.Map;

/** Something that happened to one migration; one record type per kind of event. */
public sealed interface MigrationEvent
    permits MigrationEvent.Queued,
        MigrationEvent.Scheduled,
        MigrationEvent.TargetReady,
        MigrationEvent.Running,
        MigrationEvent.Progress,
        MigrationEvent.DirectiveApplied,
        MigrationEvent.LinkBroken,
        MigrationEvent.ReconnectAttempted,
        MigrationEvent.LinkRecovered,
        MigrationEvent.AbortRequested,
        MigrationEvent.Adopted,
        MigrationEvent.Succeeded,
        MigrationEvent.Failed {

  /** The migration's unique id. */
  String migrationUid();

  /** The request that started the migration. */
  VirtualMachineInstanceMigration request();

  /** When the event happened, by the engine's clock. */
  Instant timestamp();

  /** The engine replica that took the step: admitted, drove or adopted the migration. */
  String replica();

  /** The request was admitted and waits for room under the limits. */
  record Queued(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      String replica)
      implements MigrationEvent {}

  /** Room was found and a target node chosen. */
  record Scheduled(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      String sourceNode,
      String targetNode,
      String replica)
      implements MigrationEvent {}

  /** The target is ready to receive the guest. */
  record TargetReady(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      String targetNodeAddress,
      Map<Integer, Integer> ports,
      String replica)
      implements MigrationEvent {}

  /** Data started moving. */
  record Running(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      String replica)
      implements MigrationEvent {}

  /**
   * A progress sample was taken.
   *
   * @param estimate the engine's estimate from it (a percentage that never runs backwards, the time
   *     remaining, the expected switch-over pause), as the state carries it
   */
  record Progress(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      ProgressSample sample,
      java.util.Optional<dev.livemigration.api.ProgressEstimate> estimate,
      String replica)
      implements MigrationEvent {
    /** A sample without an estimate. */
    public Progress(
        String migrationUid,
        VirtualMachineInstanceMigration request,
        Instant timestamp,
        ProgressSample sample,
        String replica) {
      this(migrationUid, request, timestamp, sample, java.util.Optional.empty(), replica);
    }
  }

  /** A directive (throttle, downtime, bandwidth, post-copy) was applied to the migration. */
  record DirectiveApplied(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      Directive directive,
      String reason,
      String replica)
      implements MigrationEvent {}

  /**
   * In post-copy, the backend's link to the target broke: the migration is paused (mode {@code
   * POST_COPY_PAUSED}) while the backend reconnects.
   *
   * @param reason why the link broke, in words
   */
  record LinkBroken(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      String reason,
      String replica)
      implements MigrationEvent {}

  /**
   * The backend tried again to reconnect a broken post-copy link.
   *
   * @param attempts the attempts since the link broke, this one included
   */
  record ReconnectAttempted(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      int attempts,
      String replica)
      implements MigrationEvent {}

  /**
   * A broken post-copy link was reconnected and the migration resumed where it stopped.
   *
   * @param attempts the attempts it took
   */
  record LinkRecovered(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      int attempts,
      String replica)
      implements MigrationEvent {}

  /** Someone asked to cancel the migration. */
  record AbortRequested(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      String replica)
      implements MigrationEvent {}

  /**
   * An engine replica took over a migration whose previous owner stopped (crashed, restarted or
   * lost its lease); published on the adopting replica, which drives the migration from then on.
   *
   * @param previousOwner the replica that drove the migration until now
   * @param replica the replica that drives it from now on
   */
  record Adopted(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      String previousOwner,
      String replica)
      implements MigrationEvent {}

  /** The guest runs on the target; the migration's last event. */
  record Succeeded(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      MigrationState state,
      String replica)
      implements MigrationEvent {}

  /**
   * The migration ended without moving the guest (or, after post-copy, lost it); its last event.
   */
  record Failed(
      String migrationUid,
      VirtualMachineInstanceMigration request,
      Instant timestamp,
      MigrationState state,
      String replica)
      implements MigrationEvent {}
}
