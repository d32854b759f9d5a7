package dev.livemigration.examples.embed;

import dev.livemigration.api.KubeVirt;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.Node;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.manifest.Manifests;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.core.dataplane.DataPlaneBackend;
import dev.livemigration.core.dataplane.PagedMemory;
import dev.livemigration.core.dataplane.transport.EphemeralPki;
import dev.livemigration.testkit.InMemoryInventory;
import dev.livemigration.testkit.SimulatedGuest;
import java.io.IOException;
import java.io.PrintStream;

/**
 * The embedding a control plane writes: the guide's {@code KubeVirt} CR as configuration, the
 * built-in data plane as backend, an inventory of two nodes and one VMI, the engine, one {@code
 * migrate}, and a wait on its completion. The guest is real memory that a writer thread keeps
 * dirtying, moved page by page over mutually authenticated TLS on loopback (both nodes are {@code
 * 127.0.0.1}), so the migration runs pre-copy passes, a stop-and-copy and the target's integrity
 * check for real. The testkit's {@link InMemoryInventory} stands in for the control plane's own
 * {@link dev.livemigration.api.spi.ClusterInventory}.
 *
 * <pre>
 * java -cp ... dev.livemigration.examples.embed.EmbedEngine [guest MiB, 256 unless given]
 * </pre>
 */
public final class EmbedEngine {
  /** The {@code KubeVirt} CR of KubeVirt's live-migration guide, as an operator would apply it. */
  static final String KUBEVIRT_YAML =
      """
      apiVersion: kubevirt.io/v1
      kind: KubeVirt
      metadata:
        name: kubevirt
        namespace: kubevirt
      spec:
        configuration:
          migrations:
            parallelMigrationsPerCluster: 5
            parallelOutboundMigrationsPerNode: 2
            bandwidthPerMigration: 64Mi
            completionTimeoutPerGiB: 800
            progressTimeout: 150
            disableTLS: false
            allowAutoConverge: false
            allowPostCopy: false
      """;

  private EmbedEngine() {}

  /**
   * What the embedding ends with.
   *
   * @param state the migration's final state
   * @param nodeAfter the node the inventory places the VMI on afterwards
   * @param sourceDigest SHA-256 of the source memory as the guest left it (paused at the switch)
   * @param targetDigest SHA-256 of the memory the guest runs on now
   */
  public record Result(
      MigrationState state, String nodeAfter, String sourceDigest, String targetDigest) {}

  /** Migrates a 256 MiB guest (or as many MiB as the first argument says); exits 1 on failure. */
  public static void main(String[] args) throws IOException {
    long mib = args.length > 0 ? Long.parseLong(args[0]) : 256;
    Result result = run(mib << 20, System.out);
    if (result.state().phase() != MigrationPhase.SUCCEEDED
        || !result.sourceDigest().equals(result.targetDigest())) {
      System.exit(1);
    }
  }

  /**
   * Live-migrates a guest of {@code guestBytes} (a positive multiple of 4 KiB) that dirties 16
   * MiB/s over 8 MiB, from {@code node01} to {@code node02}, and prints the final state.
   */
  public static Result run(long guestBytes, PrintStream out) throws IOException {
    KubeVirt kubevirt = Manifests.read(KUBEVIRT_YAML, KubeVirt.class);
    InMemoryInventory inventory =
        new InMemoryInventory()
            .add(Node.builder().name("node01").address("127.0.0.1").build())
            .add(Node.builder().name("node02").address("127.0.0.1").build())
            .add(
                VirtualMachineInstance.builder()
                    .name("vmi-fedora")
                    .nodeName("node01")
                    .memory(Quantity.ofBytes(guestBytes))
                    .build());
    try (EphemeralPki pki = EphemeralPki.create();
        SimulatedGuest guest =
            SimulatedGuest.builder()
                .memory(guestBytes)
                .dirtyRate(16 << 20)
                .workingSet(8 << 20)
                .build()) {
      // Any free port: a real node's agent listens on TargetAgent.DEFAULT_PORT (49152).
      DataPlaneBackend backend = DataPlaneBackend.builder().tls(pki.transport()).port(0).build();
      backend.register("default", "vmi-fedora", guest.memory());
      guest.start();
      try (MigrationEngine engine =
          MigrationEngines.builder()
              .configuration(kubevirt.migrations())
              .migratableBindingPlugins(kubevirt.migratableBindingPlugins())
              .backend(backend)
              .inventory(inventory)
              .build()) {
        MigrationState state =
            engine
                .migrate(VirtualMachineInstanceMigration.of("migration-job", "vmi-fedora"))
                .completion()
                .join();
        out.print(Manifests.toYaml(state));
        return verify(state, inventory, backend, guest, out);
      }
    }
  }

  /**
   * Compares the memory the guest runs on now with the source as the guest left it, then frees the
   * source, as a source node does once its guest runs elsewhere.
   */
  private static Result verify(
      MigrationState state,
      InMemoryInventory inventory,
      DataPlaneBackend backend,
      SimulatedGuest guest,
      PrintStream out) {
    String node = inventory.find("default", "vmi-fedora").orElseThrow().nodeName();
    PagedMemory source = guest.memory();
    PagedMemory now = (PagedMemory) backend.memory("default", "vmi-fedora").orElseThrow();
    String sourceDigest = source.digestHex();
    String targetDigest = now.digestHex();
    if (now != source) {
      // The source stays paused after the switch; freeing it also ends the guest's writer there.
      source.close();
      now.close();
    }
    out.printf(
        "vmi-fedora runs on %s; %d MiB, SHA-256 %s on the target, %s the source's%n",
        node,
        now.size() >> 20,
        targetDigest.substring(0, 16),
        targetDigest.equals(sourceDigest) ? "identical to" : "DIFFERENT from");
    return new Result(state, node, sourceDigest, targetDigest);
  }
}
