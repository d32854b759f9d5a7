package dev.livemigration.api.manifest;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The fields KubeVirt's resources have where this library reads them, read or not, so that a key
 * that is none of them draws a {@link ManifestWarning}, with the known field most likely meant.
 *
 * <p>Only the maps that the readers pass through leniently are listed. The maps read strictly (such
 * as {@code spec.configuration.migrations}), which report unknown keys as problems, and the maps
 * whose keys are data (labels, resource requests, a status) are open: nothing in them is warned
 * about.
 */
final class KnownFields {
  /**
   * The known fields of one map, each with the shape of its value; or, when {@code each} is not
   * null, a map whose keys are data (such as plugin names) and whose every value has that shape.
   */
  private record Shape(Map<String, Field> fields, @Nullable Shape each) {
    static Shape of(Object... namesAndShapes) {
      Map<String, Field> fields = new LinkedHashMap<>();
      for (int i = 0; i < namesAndShapes.length; i++) {
        String name = (String) namesAndShapes[i];
        Shape child = OPEN;
        if (i + 1 < namesAndShapes.length && namesAndShapes[i + 1] instanceof Shape shape) {
          child = shape;
          i++;
        }
        fields.put(Tree.normalize(name), new Field(name, child));
      }
      return new Shape(fields, null);
    }

    /** A map whose keys are data and whose values all have the shape {@code each}. */
    static Shape eachValue(Shape each) {
      return new Shape(Map.of(), each);
    }

    boolean open() {
      return fields.isEmpty() && each == null;
    }
  }

  private record Field(String name, Shape shape) {}

  /** A map whose keys are not checked here. */
  private static final Shape OPEN = new Shape(Map.of(), null);

  private static final Shape METADATA =
      Shape.of(
          "name",
          "generateName",
          "namespace",
          "selfLink",
          "uid",
          "resourceVersion",
          "generation",
          "creationTimestamp",
          "deletionTimestamp",
          "deletionGracePeriodSeconds",
          "labels",
          "annotations",
          "ownerReferences",
          "finalizers",
          "managedFields");

  private static final Shape DEVELOPER =
      Shape.of(
          "featureGates",
          "disabledFeatureGates",
          "cpuAllocationRatio",
          "diskVerification",
          "logVerbosity",
          "memoryOvercommit",
          "minimumClusterTSCFrequency",
          "minimumReservePVCBytes",
          "nodeSelectors",
          "pvcTolerateLessSpaceUpToPercent",
          "useEmulation",
          "clusterProfiler");

  /** A plugin in {@code spec.configuration.network.binding}, as KubeVirt's CRD has it. */
  private static final Shape BINDING_PLUGIN =
      Shape.of(
          "sidecarImage",
          "networkAttachmentDefinition",
          "domainAttachmentType",
          "migration",
          Shape.of("method"),
          "downwardAPI",
          "computeResourceOverhead",
          Shape.of("limits", "requests"));

  private static final Shape NETWORK =
      Shape.of(
          "binding",
          Shape.eachValue(BINDING_PLUGIN),
          "defaultNetworkInterface",
          "permitBridgeInterfaceOnPodNetwork",
          "permitSlirpInterface");

  private static final Shape KUBEVIRT_CONFIGURATION =
      Shape.of(
          "migrations",
          "migrationConfiguration",
          "developerConfiguration",
          DEVELOPER,
          "additionalGuestMemoryOverheadRatio",
          "apiConfiguration",
          "architectureConfiguration",
          "autoCPULimitNamespaceLabelSelector",
          "changedBlockTrackingLabelSelectors",
          "commonInstancetypesDeployment",
          "confidentialCompute",
          "controllerConfiguration",
          "cpuModel",
          "cpuRequest",
          "defaultRuntimeClass",
          "emulatedMachines",
          "evictionStrategy",
          "handlerConfiguration",
          "hypervisors",
          "imagePullPolicy",
          "instancetype",
          "ksmConfiguration",
          "liveUpdateConfiguration",
          "machineType",
          "mediatedDevicesConfiguration",
          "memBalloonStatsPeriod",
          "minCPUModel",
          "network",
          NETWORK,
          "obsoleteCPUModels",
          "ovmfPath",
          "permittedHostDevices",
          "persistentReservationConfiguration",
          "roleAggregationStrategy",
          "seccompConfiguration",
          "selinuxLauncherType",
          "smbios",
          "supportContainerResources",
          "supportedGuestAgentVersions",
          "tlsConfiguration",
          "virtualMachineInstancesPerNode",
          "virtTemplateDeployment",
          "virtualMachineOptions",
          "vmRolloutStrategy",
          "vmStateStorageClass",
          "webhookConfiguration");

  private static final Shape KUBEVIRT_SPEC =
      Shape.of(
          "configuration",
          KUBEVIRT_CONFIGURATION,
          "certificateRotateStrategy",
          "customizeComponents",
          "imagePullPolicy",
          "imagePullSecrets",
          "imageRegistry",
          "imageTag",
          "infra",
          "monitorAccount",
          "monitorNamespace",
          "productComponent",
          "productName",
          "productVersion",
          "serviceMonitorNamespace",
          "synchronizationPort",
          "uninstallStrategy",
          "workloadUpdateStrategy",
          "workloads");

  private static final Shape VMI_DEVICES =
      Shape.of(
          "interfaces",
          "disks",
          "inputs",
          "watchdog",
          "rng",
          "gpus",
          "hostDevices",
          "filesystems",
          "sound",
          "tpm",
          "video",
          "panicDevices",
          "clientPassthrough",
          "useVirtioTransitional",
          "disableHotplug",
          "logSerialConsole",
          "downwardMetrics",
          "blockMultiQueue",
          "networkInterfaceMultiqueue",
          "autoattachGraphicsDevice",
          "autoattachInputDevice",
          "autoattachMemBalloon",
          "autoattachPodInterface",
          "autoattachSerialConsole",
          "autoattachVSOCK");

  private static final Shape VMI_DOMAIN =
      Shape.of(
          "memory",
          Shape.of("guest", "hugepages", "maxGuest", "reservedOverhead"),
          "resources",
          Shape.of("requests", "limits", "overcommitGuestOverhead"),
          "devices",
          VMI_DEVICES,
          "cpu",
          "machine",
          "firmware",
          "clock",
          "features",
          "chassis",
          "ioThreadsPolicy",
          "ioThreads",
          "launchSecurity",
          "rebootPolicy");

  private static final Shape VMI_SPEC =
      Shape.of(
          "domain",
          VMI_DOMAIN,
          "volumes",
          "networks",
          "accessCredentials",
          "affinity",
          "architecture",
          "dnsConfig",
          "dnsPolicy",
          "evictionStrategy",
          "hostname",
          "livenessProbe",
          "nodeSelector",
          "priorityClassName",
          "readinessProbe",
          "resourceClaims",
          "schedulerName",
          "serviceAccountName",
          "startStrategy",
          "subdomain",
          "terminationGracePeriodSeconds",
          "tolerations",
          "topologySpreadConstraints",
          "utilityVolumes");

  private static final Shape CLAIM_SPEC =
      Shape.of(
          "accessModes",
          "resources",
          Shape.of("requests", "limits", "claims"),
          "selector",
          "storageClassName",
          "volumeMode",
          "volumeName",
          "dataSource",
          "dataSourceRef",
          "volumeAttributesClassName");

  /** How far below a map a misplaced key is looked for. */
  private static final int SEARCH_DEPTH = 3;

  private KnownFields() {}

  /** Records a warning for each key of {@code document}, a manifest of {@code kind}, not known. */
  static void check(Kind kind, Tree.Mapping document, Problems problems) {
    walk(document, "", document(kind), problems);
  }

  private static Shape document(Kind kind) {
    Shape spec =
        switch (kind) {
          case KUBE_VIRT -> KUBEVIRT_SPEC;
          case VIRTUAL_MACHINE_INSTANCE -> VMI_SPEC;
          case PERSISTENT_VOLUME_CLAIM -> CLAIM_SPEC;
          default -> OPEN;
        };
    return Shape.of("apiVersion", "kind", "metadata", METADATA, "spec", spec, "status");
  }

  private static void walk(Tree.Mapping mapping, String path, Shape shape, Problems problems) {
    if (shape.open()) {
      return;
    }
    if (shape.each() != null) {
      for (Tree.Entry entry : mapping.entries()) {
        if (entry.value() instanceof Tree.Mapping child) {
          walk(child, Problems.child(path, entry.key()), shape.each(), problems);
        }
      }
      return;
    }
    for (Tree.Entry entry : mapping.entries()) {
      String keyPath = Problems.child(path, entry.key());
      Field field = shape.fields().get(Tree.normalize(entry.key()));
      if (field == null) {
        String suggestion = suggest(entry.key(), path, shape);
        problems.warn(
            new ManifestWarning(
                keyPath,
                suggestion,
                keyPath
                    + " is not a known field and is ignored"
                    + (suggestion == null ? "" : "; did you mean " + suggestion + "?")));
      } else if (entry.value() instanceof Tree.Mapping child) {
        walk(child, keyPath, field.shape(), problems);
      }
    }
  }

  /**
   * Returns the path of the known field most likely meant by {@code key} in a map at {@code path}:
   * a field of the map whose name is a small edit away, else a field of the same name (or near it)
   * further down, as {@code spec.configuration.migrations} for {@code spec.migrations}.
   */
  private static @Nullable String suggest(String key, String path, Shape shape) {
    String wanted = Tree.normalize(key);
    Optional<Field> near = nearest(wanted, shape);
    if (near.isPresent()) {
      return Problems.child(path, near.get().name());
    }
    Deque<Map.Entry<String, Shape>> level = children(path, shape);
    for (int depth = 1; depth <= SEARCH_DEPTH && !level.isEmpty(); depth++) {
      Deque<Map.Entry<String, Shape>> next = new ArrayDeque<>();
      for (Map.Entry<String, Shape> at : level) {
        Optional<Field> below = nearest(wanted, at.getValue());
        if (below.isPresent()) {
          return Problems.child(at.getKey(), below.get().name());
        }
        next.addAll(children(at.getKey(), at.getValue()));
      }
      level = next;
    }
    return null;
  }

  /** The maps of {@code shape} whose fields are known, with their paths. */
  private static Deque<Map.Entry<String, Shape>> children(String path, Shape shape) {
    Deque<Map.Entry<String, Shape>> children = new ArrayDeque<>();
    for (Field field : shape.fields().values()) {
      if (!field.shape().open()) {
        children.add(Map.entry(Problems.child(path, field.name()), field.shape()));
      }
    }
    return children;
  }

  /** The field of {@code shape} nearest {@code wanted} (normalized), if it is near enough. */
  private static Optional<Field> nearest(String wanted, Shape shape) {
    Field best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (Map.Entry<String, Field> field : shape.fields().entrySet()) {
      int distance = distance(wanted, field.getKey());
      if (distance < bestDistance) {
        best = field.getValue();
        bestDistance = distance;
      }
    }
    int allowed = Math.min(2, Math.max(1, wanted.length() / 4));
    return best != null && bestDistance <= allowed ? Optional.of(best) : Optional.empty();
  }

  /** The edit distance of two names, a transposition counting as one edit. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
