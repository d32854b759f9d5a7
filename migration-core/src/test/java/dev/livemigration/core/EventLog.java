package dev.livemigration.core;

import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.event.MigrationListener;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** A listener that keeps every event, in the order they were published. Thread-safe. */
final class EventLog implements MigrationListener {
  private final List<MigrationEvent> events = new ArrayList<>();

  @Override
  public synchronized void onEvent(MigrationEvent event) {
    events.add(event);
  }

  synchronized List<MigrationEvent> all() {
    return List.copyOf(events);
  }

  /** The events of one migration, in order. */
  synchronized List<MigrationEvent> of(String migrationUid) {
    return events.stream().filter(e -> e.migrationUid().equals(migrationUid)).toList();
  }

  /** The events of one migration of one type, in order. */
  synchronized <T extends MigrationEvent> List<T> of(String migrationUid, Class<T> type) {
    return events.stream()
        .filter(e -> e.migrationUid().equals(migrationUid))
        .filter(type::isInstance)
        .map(type::cast)
        .toList();
  }

  /** The kinds (simple class names) of one migration's events, in order. */
  synchronized List<String> kinds(String migrationUid) {
    return of(migrationUid).stream().map(e -> e.getClass().getSimpleName()).toList();
  }

  /** The kinds of one migration's events, in order, with runs of Progress events collapsed. */
  synchronized List<String> story(String migrationUid) {
    List<String> story = new ArrayList<>();
    for (String kind : kinds(migrationUid)) {
      if (!(kind.equals("Progress")
          && !story.isEmpty()
          && story.get(story.size() - 1).equals(kind))) {
        story.add(kind);
      }
    }
    return story;
  }

  /** Every migration's events, by uid, in order. */
  synchronized Map<String, List<MigrationEvent>> byMigration() {
    Map<String, List<MigrationEvent>> all = new LinkedHashMap<>();
    for (MigrationEvent event : events) {
      all.computeIfAbsent(event.migrationUid(), uid -> new ArrayList<>()).add(event);
    }
    return all;
  }

  /** The uids of the migrations in the order of their first event matching {@code filter}. */
  synchronized List<String> order(Predicate<MigrationEvent> filter) {
    return events.stream().filter(filter).map(MigrationEvent::migrationUid).distinct().toList();
  }

  static boolean isTerminal(MigrationEvent event) {
    return event instanceof MigrationEvent.Succeeded || event instanceof MigrationEvent.Failed;
  }
}
