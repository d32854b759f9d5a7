package dev.livemigration.api.manifest;

import static dev.livemigration.api.manifest.Converters.list;
import static dev.livemigration.api.manifest.Converters.string;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The names of list items, as written: KubeVirt refers to volumes, interfaces and networks by name,
 * so names are checked on their own, whether or not the items have other problems.
 */
final class NamedItems {
  private NamedItems() {}

  /**
   * A list of items that have names; a problem for each item named like an earlier one, since
   * KubeVirt refers to volumes, interfaces and networks by name. Names are compared as written,
   * whether or not the items have other problems, so that every problem is listed.
   */
  static <T> Converter<List<T>> named(Converter<T> item) {
    return (node, path, problems) -> {
      Optional<List<T>> items = list(item).convert(node, path, problems);
      List<Optional<String>> names = itemNames(node);
      Map<String, Integer> first = new HashMap<>();
      boolean unique = true;
      for (int i = 0; i < names.size(); i++) {
        if (names.get(i).isEmpty()) {
          continue;
        }
        Integer earlier = first.putIfAbsent(names.get(i).get(), i);
        if (earlier != null) {
          Tree.Entry name = nameEntry(((Tree.Sequence) node).items().get(i)).orElseThrow();
          problems.invalid(
              Problems.child(Problems.index(path, i), name.key()),
              name.value(),
              "must be unique; " + Problems.index(path, earlier) + " has the same name");
          unique = false;
        }
      }
      return unique ? items : Optional.empty();
    };
  }

  /** The {@code name} entry of a list item, if the item is a map that has one. */
  static Optional<Tree.Entry> nameEntry(Tree item) {
    return item instanceof Tree.Mapping mapping ? mapping.entry("name") : Optional.empty();
  }

  /** A name as the item's converter reads it, if it is a valid string. */
  static Optional<String> nameText(Tree node) {
    return string().convert(node, "", new Problems());
  }

  /**
   * The names of the items of a list, as written, whether or not the items have other problems;
   * empty for an item without a readable name. An empty list if {@code node} is not a list.
   */
  static List<Optional<String>> itemNames(Tree node) {
    if (!(node instanceof Tree.Sequence sequence)) {
      return List.of();
    }
    return sequence.items().stream()
        .map(item -> nameEntry(item).flatMap(entry -> nameText(entry.value())))
        .toList();
  }
}
