package dev.livemigration.api.manifest;

import java.util.Optional;

/**
 * Converts a node of a document into a value, or records why it cannot.
 *
 * @param <V> the type of the value
 */
@FunctionalInterface
interface Converter<V> {
  /**
   * Returns the value of {@code node}, which is not null; or records a problem at {@code path} and
   * returns empty.
   */
  Optional<V> convert(Tree node, String path, Problems problems);
}
