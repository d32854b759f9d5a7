package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.event.MigrationEvent;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** The checks that hold after any run of the engine, whatever happened during it. */
final class Invariants {
  private Invariants() {}

  /** No more sessions were ever open at once than the limits allow, in total and per node. */
  static void limitsNeverExceeded(ScriptedBackend backend, int perCluster, int perNode) {
    assertThat(backend.peakOpenSessions())
        .as("peak sessions in the cluster")
        .isLessThanOrEqualTo(perCluster);
    assertThat(backend.peakOpenSessionsByNode())
        .as("peak sessions per source node")
        .allSatisfy((node, peak) -> assertThat(peak).as(node).isLessThanOrEqualTo(perNode));
  }

  /**
   * Every migration has ended: its completion is done, its first event is Queued, it has exactly
   * one terminal event and that event is its last; nothing is running or queued, no session is
   * open.
   */
  static void everyMigrationEndedOnce(
      MigrationEngine engine,
      Collection<MigrationHandle> handles,
      EventLog events,
      ScriptedBackend backend) {
    Map<String, List<MigrationEvent>> byMigration = events.byMigration();
    for (MigrationHandle handle : handles) {
      assertThat(handle.completion()).as("completion of %s", handle.uid()).isDone();
      assertThat(handle.state().completed()).as("completed %s", handle.uid()).isTrue();
      List<MigrationEvent> story = byMigration.get(handle.uid());
      assertThat(story).as("events of %s", handle.uid()).isNotEmpty();
      assertThat(story.get(0))
          .as("first event of %s", handle.uid())
          .isInstanceOf(MigrationEvent.Queued.class);
      assertThat(story.stream().filter(EventLog::isTerminal).count())
          .as("terminal events of %s: %s", handle.uid(), story)
          .isEqualTo(1);
      assertThat(EventLog.isTerminal(story.get(story.size() - 1)))
          .as("last event of %s is terminal: %s", handle.uid(), story)
          .isTrue();
    }
    assertThat(byMigration.keySet())
        .as("every migration with events has a handle")
        .containsExactlyInAnyOrderElementsOf(handles.stream().map(MigrationHandle::uid).toList());
    assertThat(((DefaultMigrationEngine) engine).counters())
        .as("running, queued")
        .containsExactly(0, 0);
    assertThat(backend.openSessions()).as("open sessions").isZero();
  }
}
