package dev.livemigration.api.manifest;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationPolicy;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.VirtualMachineInstanceStatus;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Reads and writes KubeVirt's live-migration manifests, in YAML or JSON.
 *
 * <p>{@link #read(String)} returns the value for the document's {@code kind}: a {@link
 * VirtualMachineInstanceMigration} ({@code kubevirt.io/v1}), a {@link KubeVirt} CR ({@code
 * kubevirt.io/v1}, kind {@code KubeVirt} or {@code Kubevirt}), a {@link MigrationPolicy} ({@code
 * migrations.kubevirt.io/v1alpha1}), a running {@link VirtualMachineInstance} ({@code
 * kubevirt.io/v1}) or a {@link PersistentVolumeClaim} ({@code v1}). {@link
 * #readVirtualMachineInstances(String)} reads the VMIs of a cluster, their claims' access modes
 * taken from the claims among the documents. {@link #read(String, Class)} also reads a VMI's {@link
 * VirtualMachineInstanceStatus} or {@link MigrationState}, in camelCase or as {@code kubectl
 * describe} prints them ({@code Migration UID: ...}), and a bare {@link MigrationConfiguration}.
 * Keys are matched ignoring spaces and case; two keys of one map that match the same field (such as
 * {@code spec} and {@code Spec}) are a problem. A text whose first character is <code>{</code> or
 * {@code [} is read as JSON, any other as YAML.
 *
 * <p>A document with problems is rejected with a {@link ManifestException} that lists all of them.
 * Hostile input is refused: documents longer than 10 MiB, YAML lines longer than 64 KiB, nesting
 * deeper than 64 levels and YAML aliases.
 *
 * <p>{@link #toYaml(Object)} and {@link #toJson(Object)} write these values back in KubeVirt's
 * camelCase form, which {@code read} reads to an equal value.
 *
 * <pre>{@code
 * KubeVirt kubeVirt = Manifests.read(Path.of("kubevirt.yaml"), KubeVirt.class);
 * MigrationConfiguration cluster = kubeVirt.migrations();
 * String yaml = Manifests.toYaml(VirtualMachineInstanceMigration.of("job", "vmi-fedora"));
 * }</pre>
 */
public final class Manifests {
  private Manifests() {}

  /**
   * Reads one document and returns the value for its {@code kind}.
   *
   * @throws ManifestException if the text is not one well-formed manifest of a supported kind,
   *     listing every problem
   */
  public static Object read(String text) {
    return read(text, Object.class);
  }

  /**
   * Reads one document as a {@code type}: {@link VirtualMachineInstanceMigration}, {@link
   * KubeVirt}, {@link MigrationPolicy}, {@link VirtualMachineInstance}, {@link
   * PersistentVolumeClaim} (checked against the document's {@code kind}), {@link MigrationState},
   * {@link VirtualMachineInstanceStatus} or {@link MigrationConfiguration} (which have no kind; an
   * enclosing {@code migrationState:}, {@code status:} or {@code migrations:} key is optional), or
   * {@code Object} for any kind. A status's fields other than {@code conditions}, {@code
   * migrationMethod} and {@code migrationState} are ignored, as are the fields of a {@code
   * KubeVirt} CR outside its feature gates and migration settings.
   *
   * <p>A VMI read alone has claims without access modes, since they are in the claims' own
   * manifests: read those with {@link #readVirtualMachineInstances(String)} or {@link
   * #readAll(String)}. What a VMI's manifest must hold is described there.
   *
   * @throws ManifestException if the text is not one well-formed {@code type}, listing every
   *     problem
   * @throws IllegalArgumentException if {@code type} is not one of the supported types
   */
  public static <T> T read(String text, Class<T> type) {
    Objects.requireNonNull(text, "text");
    return DocumentReader.readOne(text, type, null).value();
  }

  /**
   * Reads one document from a UTF-8 file and returns the value for its {@code kind}.
   *
   * @throws ManifestException if the file does not exist, cannot be opened, is not UTF-8 or is not
   *     one well-formed manifest; its message names the file
   * @throws UncheckedIOException if reading the file fails midway; its message names the file
   */
  public static Object read(Path file) {
    return read(file, Object.class);
  }

  /**
   * Reads one document from a UTF-8 file as a {@code type}; see {@link #read(String, Class)}.
   *
   * @throws ManifestException if the file does not exist, cannot be opened, is not UTF-8 or is not
   *     one well-formed {@code type}; its message names the file
   * @throws UncheckedIOException if reading the file fails midway; its message names the file
   * @throws IllegalArgumentException if {@code type} is not one of the supported types
   */
  public static <T> T read(Path file, Class<T> type) {
    return readWithWarnings(file, type).value();
  }

  /**
   * Reads one document from {@code reader}, which is read to its end but not closed, and returns
   * the value for its {@code kind}.
   *
   * @throws ManifestException if the text is not one well-formed manifest
   * @throws UncheckedIOException if the reader fails
   */
  public static Object read(Reader reader) {
    return read(reader, Object.class);
  }

  /**
   * Reads one document from {@code reader}, which is read to its end but not closed, as a {@code
   * type}; see {@link #read(String, Class)}.
   *
   * @throws ManifestException if the text is not one well-formed {@code type}
   * @throws UncheckedIOException if the reader fails
   * @throws IllegalArgumentException if {@code type} is not one of the supported types
   */
  public static <T> T read(Reader reader, Class<T> type) {
    return readWithWarnings(reader, type).value();
  }

  /**
   * Reads every document of a multi-document YAML text (documents separated by {@code ---}; empty
   * documents are skipped) and returns their values in order.
   *
   * <p>The volumes of each {@link VirtualMachineInstance} get the access modes of the {@link
   * PersistentVolumeClaim} documents, among these, that they name, as {@link
   * #readVirtualMachineInstances(String)} describes. Two VMIs, or two claims, with the same
   * namespace and name are a problem.
   *
   * @throws ManifestException if any document has problems; each problem's message starts with its
   *     document's number, as in {@code document 2: spec.vmiName is missing but it is required}
   */
  public static List<Object> readAll(String text) {
    return readAllWithWarnings(text).value();
  }

  /**
   * Reads every document of a UTF-8 file; see {@link #readAll(String)}.
   *
   * @throws ManifestException if the file does not exist, cannot be opened or is not UTF-8, or if
   *     any document has problems; its message names the file
   * @throws UncheckedIOException if reading the file fails midway; its message names the file
   */
  public static List<Object> readAll(Path file) {
    return readAllWithWarnings(file).value();
  }

  /**
   * Reads every document from {@code reader}, which is read to its end but not closed; see {@link
   * #readAll(String)}.
   *
   * @throws ManifestException if any document has problems
   * @throws UncheckedIOException if the reader fails
   */
  public static List<Object> readAll(Reader reader) {
    return readAllWithWarnings(reader).value();
  }

  /**
   * Reads the running VMIs of a cluster from a multi-document YAML text (or a stream of JSON
   * documents) of {@code VirtualMachineInstance} and {@code PersistentVolumeClaim} manifests, and
   * returns the VMIs in order, each volume that is a claim with the access modes of its claim.
   *
   * <p>Of a VMI ({@code apiVersion: kubevirt.io/v1}) these are read, and the rest is ignored:
   *
   * <ul>
   *   <li>{@code metadata.name}, {@code metadata.namespace} ({@code default} if not given) and
   *       {@code metadata.labels};
   *   <li>{@code status.nodeName}, which a VMI has once it runs on a node: required;
   *   <li>the guest's memory, {@code spec.domain.memory.guest}, else {@code
   *       spec.domain.resources.requests.memory}: one is required;
   *   <li>{@code spec.volumes}: each has a {@code name} and exactly one source, which gives its
   *       {@link dev.livemigration.api.VolumeType}: {@code persistentVolumeClaim} (with {@code
   *       claimName}), {@code dataVolume} (with {@code name}; its claim has that name), {@code
   *       containerDisk}, {@code emptyDisk} (with {@code capacity}, its size), {@code hostDisk}
   *       (its {@code capacity} is its size), or one of the generated sources {@code
   *       cloudInitNoCloud}, {@code cloudInitConfigDrive}, {@code configMap}, {@code secret},
   *       {@code serviceAccount}, {@code sysprep}, {@code downwardAPI} and {@code downwardMetrics};
   *   <li>{@code spec.domain.devices.interfaces}: each has a {@code name}, exactly one binding
   *       among {@code bridge}, {@code masquerade}, {@code sriov}, {@code slirp} and {@code passt},
   *       and {@code ports[].port}; it is on the pod network if the network of {@code
   *       spec.networks} with its name has {@code pod: {}}, and not if it has {@code multus}.
   * </ul>
   *
   * <p>A claim volume of a VMI gets the {@code spec.accessModes} of the claim with its namespace
   * and claim name; without such a claim among the documents, it has no access modes (and so the
   * VMI cannot be live-migrated). Unknown keys are problems where a misspelling would change the
   * meaning: in a volume, an interface, a network and a {@code hostDisk}.
   *
   * @throws ManifestException if any document has problems, or is of another kind; each problem's
   *     message starts with its document's number
   */
  public static List<VirtualMachineInstance> readVirtualMachineInstances(String text) {
    Objects.requireNonNull(text, "text");
    return DocumentReader.readInstances(text, null);
  }

  /**
   * Reads the running VMIs of a cluster from a UTF-8 file; see {@link
   * #readVirtualMachineInstances(String)}.
   *
   * @throws ManifestException if the file does not exist, cannot be opened or is not UTF-8, or if
   *     any document has problems; its message names the file
   * @throws UncheckedIOException if reading the file fails midway; its message names the file
   */
  public static List<VirtualMachineInstance> readVirtualMachineInstances(Path file) {
    return DocumentReader.readInstances(ManifestInput.readFile(file), file.toString());
  }

  /**
   * Reads the running VMIs of a cluster from {@code reader}, which is read to its end but not
   * closed; see {@link #readVirtualMachineInstances(String)}.
   *
   * @throws ManifestException if any document has problems
   * @throws UncheckedIOException if the reader fails
   */
  public static List<VirtualMachineInstance> readVirtualMachineInstances(Reader reader) {
    return DocumentReader.readInstances(ManifestInput.readFully(reader), null);
  }

  /**
   * Reads one document as a {@code type}, as {@link #read(String, Class)} does, and returns it with
   * a warning for each key that is not a known field where it is and so is ignored, such as a
   * misspelt {@code spec.configuration.migration} (whose settings would silently stay at their
   * defaults). The fields of KubeVirt's resources that this library does not read draw no warning.
   *
   * @throws ManifestException if the text is not one well-formed {@code type}, listing every
   *     problem; its {@link ManifestException#warnings()} has the warnings
   * @throws IllegalArgumentException if {@code type} is not one of the supported types
   */
  public static <T> ManifestResult<T> readWithWarnings(String text, Class<T> type) {
    Objects.requireNonNull(text, "text");
    return DocumentReader.readOne(text, type, null);
  }

  /**
   * Reads one document from a UTF-8 file as a {@code type}, with the warnings of {@link
   * #readWithWarnings(String, Class)}.
   *
   * @throws ManifestException as {@link #read(Path, Class)} does
   * @throws UncheckedIOException if reading the file fails midway; its message names the file
   * @throws IllegalArgumentException if {@code type} is not one of the supported types
   */
  public static <T> ManifestResult<T> readWithWarnings(Path file, Class<T> type) {
    DocumentReader.checkSupported(type);
    return DocumentReader.readOne(ManifestInput.readFile(file), type, file.toString());
  }

  /**
   * Reads one document from {@code reader}, which is read to its end but not closed, as a {@code
   * type}, with the warnings of {@link #readWithWarnings(String, Class)}.
   *
   * @throws ManifestException if the text is not one well-formed {@code type}
   * @throws UncheckedIOException if the reader fails
   * @throws IllegalArgumentException if {@code type} is not one of the supported types
   */
  public static <T> ManifestResult<T> readWithWarnings(Reader reader, Class<T> type) {
    DocumentReader.checkSupported(type);
    return DocumentReader.readOne(ManifestInput.readFully(reader), type, null);
  }

  /**
   * Reads every document, as {@link #readAll(String)} does, with the warnings of {@link
   * #readWithWarnings(String, Class)}; each warning's message starts with its document's number.
   *
   * @throws ManifestException if any document has problems; its {@link
   *     ManifestException#warnings()} has the warnings
   */
  public static ManifestResult<List<Object>> readAllWithWarnings(String text) {
    Objects.requireNonNull(text, "text");
    return DocumentReader.readAll(text, null);
  }

  /**
   * Reads every document of a UTF-8 file, with warnings; see {@link #readAllWithWarnings(String)}.
   *
   * @throws ManifestException as {@link #readAll(Path)} does
   * @throws UncheckedIOException if reading the file fails midway; its message names the file
   */
  public static ManifestResult<List<Object>> readAllWithWarnings(Path file) {
    return DocumentReader.readAll(ManifestInput.readFile(file), file.toString());
  }

  /**
   * Reads every document from {@code reader}, which is read to its end but not closed, with
   * warnings; see {@link #readAllWithWarnings(String)}.
   *
   * @throws ManifestException if any document has problems
   * @throws UncheckedIOException if the reader fails
   */
  public static ManifestResult<List<Object>> readAllWithWarnings(Reader reader) {
    return DocumentReader.readAll(ManifestInput.readFully(reader), null);
  }

  /**
   * Returns {@code value} as a YAML manifest in KubeVirt's camelCase form: {@code apiVersion},
   * {@code kind}, {@code metadata} and {@code spec} for a {@link VirtualMachineInstanceMigration},
   * {@link KubeVirt} (with every migration setting), {@link MigrationPolicy}, {@link
   * VirtualMachineInstance} or {@link PersistentVolumeClaim}; the camelCase fields of a {@link
   * MigrationState}, {@link VirtualMachineInstanceStatus} or {@link MigrationConfiguration}.
   *
   * <p>A VMI is written with what the model holds: {@code metadata}, {@code
   * spec.domain.memory.guest}, {@code spec.domain.devices.interfaces} with a network of the same
   * name in {@code spec.networks} ({@code pod: {}}, or {@code multus} naming the interface), {@code
   * spec.volumes} and {@code status.nodeName}. The model does not know a volume's claim, image or
   * path: a claim volume names the claim {@code <vmi>-<volume>}, and a generated volume is written
   * as {@code cloudInitNoCloud: {}}. The claims themselves are separate documents, which {@link
   * #toYaml(List)} writes; read back alone, a VMI's claims have no access modes. Sizes are written
   * where KubeVirt has them, as the capacity of an {@code emptyDisk} or {@code hostDisk}; other
   * volumes are read back with size zero.
   *
   * <p>A Jackson {@code ObjectNode} is written as it is, in the same style: a report of your own
   * that embeds manifests looks like them.
   *
   * @throws IllegalArgumentException if {@code value} is of another type
   */
  public static String toYaml(Object value) {
    return ManifestWriter.yaml(value);
  }

  /**
   * Returns {@code values} as one multi-document YAML text, each document as {@link
   * #toYaml(Object)} writes it, separated by {@code ---}. Each VMI is followed by a {@link
   * PersistentVolumeClaim} document for each of its claim volumes that has access modes (once for
   * equal claims), so that {@link #readVirtualMachineInstances(String)} and {@link
   * #readAll(String)} read the VMI back with its access modes.
   *
   * @throws IllegalArgumentException if a value is of a type {@link #toYaml(Object)} does not
   *     write, or if two different claims would have the same namespace and name (as a VMI {@code
   *     a} with volume {@code b-c} and a VMI {@code a-b} with volume {@code c} would)
   */
  public static String toYaml(List<?> values) {
    return ManifestWriter.yaml(values);
  }

  /**
   * Returns {@code value} as an indented JSON manifest; the same form as {@link #toYaml(Object)}.
   *
   * @throws IllegalArgumentException if {@code value} is of another type
   */
  public static String toJson(Object value) {
    return ManifestWriter.json(value);
  }

  /**
   * Returns {@code values} as a stream of indented JSON documents, one after the other, which
   * {@link #readAll(String)} reads; the documents of {@link #toYaml(List)}.
   *
   * @throws IllegalArgumentException if a value is of a type {@link #toYaml(Object)} does not
   *     write, or if two different claims would have the same namespace and name
   */
  public static String toJson(List<?> values) {
    return ManifestWriter.json(values);
  }
}
