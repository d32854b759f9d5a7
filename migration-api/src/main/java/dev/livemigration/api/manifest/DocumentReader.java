package dev.livemigration.api.manifest;

import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.manifest.InstanceReader.ObjectKey;
import dev.livemigration.api.manifest.InstanceReader.ReadInstance;
import dev.livemigration.api.manifest.ManifestException.Problem;
import dev.livemigration.api.manifest.TreeParser.Document;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Reads the documents of a text for {@link Manifests}: one or all, each as one of the kinds asked
 * for, the VMIs' claims resolved among them, with every problem and warning.
 */
final class DocumentReader {
  private DocumentReader() {}

  static <T> ManifestResult<T> readOne(String text, Class<T> type, @Nullable String source) {
    checkSupported(type);
    List<Document> documents = nonEmpty(TreeParser.parse(text, source));
    if (documents.isEmpty()) {
      throw new ManifestException(
          source,
          List.of(new Problem("", null, "the manifest is empty but it must hold one document")));
    }
    if (documents.size() > 1) {
      throw new ManifestException(
          source,
          List.of(
              new Problem(
                  "",
                  null,
                  "the manifest has "
                      + documents.size()
                      + " documents but it must have one; use readAll to read several")));
    }
    Problems problems = new Problems();
    Object value = interpret(documents.get(0), List.of(type), problems);
    if (problems.count() > 0) {
      throw new ManifestException(source, problems.list(), problems.warnings());
    }
    return new ManifestResult<>(
        type.cast(value instanceof ReadInstance instance ? instance.unresolved() : value),
        problems.warnings());
  }

  static ManifestResult<List<Object>> readAll(String text, @Nullable String source) {
    return readDocuments(text, source, List.of(Object.class));
  }

  static List<VirtualMachineInstance> readInstances(String text, @Nullable String source) {
    return readDocuments(
            text, source, List.of(VirtualMachineInstance.class, PersistentVolumeClaim.class))
        .value()
        .stream()
        .filter(VirtualMachineInstance.class::isInstance)
        .map(VirtualMachineInstance.class::cast)
        .toList();
  }

  /**
   * Reads every document as one of the kinds of {@code types}, then gives the VMIs' volumes the
   * access modes of the claims among them; a VMI or claim given twice is a problem.
   */
  private static ManifestResult<List<Object>> readDocuments(
      String text, @Nullable String source, List<Class<?>> types) {
    List<Document> documents = TreeParser.parse(text, source);
    List<Object> values = new ArrayList<>();
    Map<ObjectKey, Integer> instances = new HashMap<>();
    Map<ObjectKey, Integer> claimDocuments = new HashMap<>();
    Map<ObjectKey, PersistentVolumeClaim> claims = new HashMap<>();
    Problems problems = new Problems();
    List<ManifestWarning> warnings = new ArrayList<>();
    for (int i = 0; i < documents.size(); i++) {
      Document document = documents.get(i);
      if (isEmpty(document)) {
        continue;
      }
      Problems found = new Problems();
      Object value = interpret(document, types, found);
      if (value instanceof ReadInstance instance) {
        VirtualMachineInstance vmi = instance.unresolved();
        unique(instances, new ObjectKey(vmi.namespace(), vmi.name()), i + 1, "VMIs", found);
      } else if (value instanceof PersistentVolumeClaim claim) {
        ObjectKey key = new ObjectKey(claim.namespace(), claim.name());
        if (unique(claimDocuments, key, i + 1, "claims", found)) {
          claims.put(key, claim);
        }
      }
      String prefix = "document " + (i + 1) + ": ";
      found.list().stream()
          .map(p -> new Problem(p.path(), p.value(), prefix + p.message()))
          .forEach(problems::add);
      found.warnings().stream()
          .map(w -> new ManifestWarning(w.path(), w.suggestion(), prefix + w.message()))
          .forEach(warnings::add);
      if (found.count() == 0) {
        values.add(value);
      }
    }
    if (problems.count() > 0) {
      throw new ManifestException(source, problems.list(), warnings);
    }
    return new ManifestResult<>(
        values.stream()
            .map(value -> value instanceof ReadInstance instance ? instance.resolve(claims) : value)
            .toList(),
        warnings);
  }

  /**
   * Records {@code key} as read in document {@code number}; returns false, with a problem, if an
   * earlier document had it.
   */
  private static boolean unique(
      Map<ObjectKey, Integer> seen, ObjectKey key, int number, String what, Problems problems) {
    Integer earlier = seen.putIfAbsent(key, number);
    if (earlier == null) {
      return true;
    }
    problems.invalid(
        "metadata.name",
        new Tree.Scalar(Tree.ScalarType.STRING, key.name(), null, null),
        "must be unique among the "
            + what
            + " of namespace '"
            + key.namespace()
            + "'; document "
            + earlier
            + " has the same name");
    return false;
  }

  /**
   * Reads the document as one of {@code types}; returns null if problems were recorded. A VMI is
   * returned as a {@link ReadInstance}.
   */
  private static @Nullable Object interpret(
      Document document, List<Class<?>> types, Problems problems) {
    document.problems().forEach(problems::add);
    Optional<Object> value =
        types.size() == 1
            ? ManifestReader.read(document.root(), types.get(0), problems)
            : ManifestReader.readKinded(document.root(), types, problems);
    if (value.isEmpty() && problems.count() == 0) {
      problems.document(
          "the manifest could not be read as a "
              + types.stream().map(Class::getSimpleName).collect(Collectors.joining(" or ")));
    }
    return value.orElse(null);
  }

  private static List<Document> nonEmpty(List<Document> documents) {
    return documents.stream().filter(d -> !isEmpty(d)).collect(Collectors.toList());
  }

  private static boolean isEmpty(Document document) {
    return Tree.isNull(document.root()) && document.problems().isEmpty();
  }

  static void checkSupported(Class<?> type) {
    Objects.requireNonNull(type, "type");
    if (type != Object.class && !ManifestReader.TYPES.contains(type)) {
      throw new IllegalArgumentException(
          "cannot read a "
              + type.getName()
              + "; supported types are Object, "
              + ManifestReader.TYPES.stream()
                  .map(Class::getSimpleName)
                  .collect(Collectors.joining(", ")));
    }
  }
}
