package dev.livemigration.core;

import dev.livemigration.api.event.MigrationEvent;
import dev.livemigration.api.event.MigrationListener;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hands each event to every listener in turn; a listener that throws is logged and skipped. */
final class Publisher {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
  private final List<MigrationListener> listeners;

  Publisher(List<MigrationListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  void publish(MigrationEvent event) {
    for (MigrationListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException e) {
        LOG.warn("A migration listener failed on {}", event.getClass().getSimpleName(), e);
      }
    }
  }
}
