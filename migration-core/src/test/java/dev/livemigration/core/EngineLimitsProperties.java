package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationRejectedException;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.core.ScriptedBackend.Step;
import dev.livemigration.core.strategy.Strategies;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/**
 * Random sequences of requests, cancellations, drains and passing virtual time against random
 * limits, scripts and strategies: the limits always hold, every migration ends exactly once, and no
 * slot leaks.
 */
class EngineLimitsProperties {
  private static final int NODES = 4;
  private static final int VMIS = 12;

  /** One thing a user or time does to the engine. */
  sealed interface Op permits Migrate, Cancel, CancelForVmi, DrainNode, Advance {}

  record Migrate(int vmi) implements Op {}

  record Cancel(int handle) implements Op {}

  record CancelForVmi(int vmi) implements Op {}

  record DrainNode(int node) implements Op {}

  record Advance(int seconds) implements Op {}

  @Property(tries = 200)
  @Label("keeps the limits, ends every migration exactly once and leaks no slot")
  void limitsHold(
      @ForAll @IntRange(min = 1, max = 4) int perCluster,
      @ForAll @IntRange(min = 1, max = 3) int perNode,
      @ForAll @Size(VMIS) List<@net.jqwik.api.From("scripts") Script> scripts,
      @ForAll("strategies") String strategy,
      @ForAll boolean allowPostCopy,
      @ForAll boolean allowAutoConverge,
      @ForAll("operations") List<Op> operations) {
    Harness harness =
        new Harness()
            .strategy(Strategies.byId(strategy))
            .configuration(
                MigrationConfiguration.builder()
                    .parallelMigrationsPerCluster(perCluster)
                    .parallelOutboundMigrationsPerNode(perNode)
                    .allowPostCopy(allowPostCopy)
                    .allowAutoConverge(allowAutoConverge)
                    .build());
    for (int node = 0; node < NODES; node++) {
      harness.inventory.nodes("node" + node);
    }
    for (int i = 0; i < VMIS; i++) {
      harness.vmis("node" + (i % (NODES - 1)), "vmi-" + i);
      harness.backend.script("vmi-" + i, scripts.get(i));
    }
    MigrationEngine engine = harness.engine();
    List<MigrationHandle> handles = new ArrayList<>();
    int names = 0;

    for (Op op : operations) {
      if (op instanceof Migrate migrate) {
        try {
          handles.add(harness.migrate("job-" + names++, "vmi-" + migrate.vmi()));
        } catch (MigrationRejectedException e) {
          assertThat(e.reason()).isEqualTo(MigrationRejectedException.Reason.ALREADY_MIGRATING);
        }
      } else if (op instanceof Cancel cancel && !handles.isEmpty()) {
        handles.get(cancel.handle() % handles.size()).cancel();
      } else if (op instanceof CancelForVmi cancel) {
        engine.cancelForVmi("default", "vmi-" + cancel.vmi());
      } else if (op instanceof DrainNode drain) {
        dev.livemigration.api.Drain result = engine.drain("node" + drain.node());
        // A VMI already migrating joins the drain with the handle we already hold.
        result.migrations().stream().filter(h -> !handles.contains(h)).forEach(handles::add);
        assertThat(result.skipped().values())
            .allMatch(reason -> reason.contains("already migrating"));
      } else if (op instanceof Advance advance) {
        harness.advanceSeconds(advance.seconds());
      }
      Invariants.limitsNeverExceeded(harness.backend, perCluster, perNode);
    }
    harness.runUntilIdle();

    Invariants.limitsNeverExceeded(harness.backend, perCluster, perNode);
    Invariants.everyMigrationEndedOnce(engine, handles, harness.events, harness.backend);
    for (MigrationHandle handle : handles) {
      boolean moved = handle.state().phase() == MigrationPhase.SUCCEEDED;
      Statistics.label("outcome")
          .collect(moved ? "succeeded" : handle.state().abortRequested() ? "cancelled" : "failed");
    }

    // No slot leaked: as many fresh migrations as the limits allow all start at once.
    Map<String, List<String>> byNode = new LinkedHashMap<>();
    for (VirtualMachineInstance vmi : harness.inventory.virtualMachineInstances()) {
      byNode.computeIfAbsent(vmi.nodeName(), n -> new ArrayList<>()).add(vmi.name());
    }
    List<String> fresh = new ArrayList<>();
    for (List<String> onNode : byNode.values()) {
      for (String vmi : onNode.subList(0, Math.min(perNode, onNode.size()))) {
        if (fresh.size() < perCluster) {
          fresh.add(vmi);
        }
      }
    }
    harness.backend.resetPeaks();
    Map<String, MigrationHandle> started = new HashMap<>();
    for (String vmi : fresh) {
      harness.backend.script(vmi, Script.neverConverging());
      started.put(vmi, engine.migrate(VirtualMachineInstanceMigration.of("fresh-" + vmi, vmi)));
    }
    harness.runDue();
    assertThat(harness.backend.openSessions()).isEqualTo(fresh.size());
    assertThat(started.values()).allMatch(h -> h.state().phase() == MigrationPhase.RUNNING);
    harness.time.advanceUntilIdle(Duration.ofDays(1));
    Invariants.limitsNeverExceeded(harness.backend, perCluster, perNode);
  }

  @Provide
  Arbitrary<Script> scripts() {
    return Arbitraries.oneOf(
        Arbitraries.just(Script.CONVERGING),
        Arbitraries.just(Script.dirtying(Script.MIB_64 / 2)),
        Arbitraries.just(Script.dirtying(Script.MIB_64 * 99 / 100)),
        Arbitraries.just(Script.neverConverging()),
        Arbitraries.just(Script.neverConverging().withAbortTooLate()),
        Arbitraries.of(Step.class)
            .map(step -> Script.dirtying(Script.MIB_64 / 2).failing(step, "boom at " + step)));
  }

  @Provide
  Arbitrary<String> strategies() {
    return Arbitraries.of(Strategies.ids());
  }

  @Provide
  Arbitrary<List<Op>> operations() {
    Arbitrary<Op> op =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(
                6, Arbitraries.integers().between(0, VMIS - 1).map(Migrate::new)),
            net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 100).map(Cancel::new)),
            net.jqwik.api.Tuple.of(
                1, Arbitraries.integers().between(0, VMIS - 1).map(CancelForVmi::new)),
            net.jqwik.api.Tuple.of(
                1, Arbitraries.integers().between(0, NODES - 1).map(DrainNode::new)),
            net.jqwik.api.Tuple.of(4, Arbitraries.integers().between(0, 40).map(Advance::new)));
    return op.list().ofMaxSize(60);
  }
}
