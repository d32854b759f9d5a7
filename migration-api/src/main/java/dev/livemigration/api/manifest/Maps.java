package dev.livemigration.api.manifest;

import dev.livemigration.api.manifest.Section.Bound;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** Finds the maps of a document by name, with the problems of a map that is not one. */
final class Maps {
  private Maps() {}

  private static final Tree.Mapping EMPTY = new Tree.Mapping(List.of());

  /** A map of the document with its path. */
  record Sub(Tree.Mapping mapping, String path) {}

  /**
   * Reads {@code node} as a map of {@code section}'s fields; empty if it is not a map or has
   * problems.
   */
  static <B> Optional<Collection<Bound<B>>> nested(
      Section<B> section, Tree node, String path, Problems problems) {
    if (!(node instanceof Tree.Mapping mapping)) {
      problems.invalid(path, node, "must be a map");
      return Optional.empty();
    }
    int before = problems.count();
    Collection<Bound<B>> values = section.read(mapping, path, problems).values();
    return problems.count() > before ? Optional.empty() : Optional.of(values);
  }

  /**
   * Returns the map under {@code name} (an empty one if absent or null); empty, with a problem, if
   * the value is not a map.
   */
  static Optional<Sub> map(Sub parent, String name, Problems problems) {
    Optional<Tree.Entry> entry = entry(parent.mapping(), parent.path(), name, problems);
    if (entry.isEmpty() || Tree.isNull(entry.get().value())) {
      return Optional.of(new Sub(EMPTY, Problems.child(parent.path(), name)));
    }
    String path = Problems.child(parent.path(), entry.get().key());
    if (entry.get().value() instanceof Tree.Mapping mapping) {
      return Optional.of(new Sub(mapping, path));
    }
    problems.invalid(path, entry.get().value(), "must be a map");
    return Optional.empty();
  }

  /**
   * Returns the entry of {@code mapping} (at {@code path}) whose key matches {@code name}; each
   * further key that matches too, differing from the first only in case or spaces (as {@code Spec}
   * and {@code spec}), is a problem, since either could be the one meant.
   */
  static Optional<Tree.Entry> entry(
      Tree.Mapping mapping, String path, String name, Problems problems) {
    List<Tree.Entry> matching = mapping.entries(name);
    if (matching.isEmpty()) {
      return Optional.empty();
    }
    Tree.Entry first = matching.get(0);
    for (Tree.Entry other : matching.subList(1, matching.size())) {
      problems.duplicate(Problems.child(path, other.key()), first.key());
    }
    return Optional.of(first);
  }
}
