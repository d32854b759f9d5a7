package dev.livemigration.api.event;

/**
 * Receives a migration's events. Listeners are called on the engine's threads, in the order of each
 * migration's events: they must be fast and must not block. An exception thrown by a listener is
 * logged and otherwise ignored.
 */
@FunctionalInterface
public interface MigrationListener {

  /** Called once per event. */
  void onEvent(MigrationEvent event);
}
