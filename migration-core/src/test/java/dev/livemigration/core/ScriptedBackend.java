package dev.livemigration.core;

import dev.livemigration.api.Condition;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.spi.BackendException;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A fake {@link HypervisorBackend} whose sessions follow a simple, deterministic model of pre-copy
 * and post-copy (see {@link ScriptedSession}), driven by an injected clock — the {@link
 * ManualScheduler}'s in virtual time. Each VMI gets a {@link Script}; the backend records every
 * call and counts the sessions open at once (opened and not yet closed), in total and per source
 * node, with their peaks. Thread-safe.
 */
final class ScriptedBackend implements HypervisorBackend {

  /** The backend calls, in the order the engine makes them. */
  enum Step {
    OPEN,
    PREPARE_TARGET,
    START,
    SAMPLE,
    APPLY,
    ABORT,
    CLOSE
  }

  /**
   * One call the engine made.
   *
   * @param step which call
   * @param migrationUid the migration's id
   * @param vmi the VMI's name
   * @param sourceNode the node the VMI migrates from
   * @param argument the directive of an {@code APPLY}, the sample of a {@code SAMPLE}, else null
   * @param at when, by the backend's clock
   */
  record Call(
      Step step,
      String migrationUid,
      String vmi,
      String sourceNode,
      @Nullable Object argument,
      Instant at) {}

  private final Supplier<Instant> clock;
  private final Map<String, Script> scripts = new HashMap<>();
  private final Map<String, Condition> notMigratable = new HashMap<>();
  private final List<Call> calls = new ArrayList<>();
  private final List<ScriptedSession> sessions = new ArrayList<>();
  private final Map<String, Integer> openByNode = new HashMap<>();
  private final Map<String, Integer> peakByNode = new HashMap<>();
  private Script defaultScript = Script.CONVERGING;
  private int open;
  private int peak;
  private int portBase = 35_000;
  private boolean closed;

  ScriptedBackend(Supplier<Instant> clock) {
    this.clock = clock;
  }

  // ------------------------------------------------------------------ scripting

  /** Sets the script of every VMI that has none of its own. */
  synchronized ScriptedBackend defaultScript(Script script) {
    this.defaultScript = script;
    return this;
  }

  /** Sets the script of the VMI with this name. */
  synchronized ScriptedBackend script(String vmiName, Script script) {
    scripts.put(vmiName, script);
    return this;
  }

  /** Makes {@link #checkMigratable} refuse the VMI with this name, with a backend reason. */
  synchronized ScriptedBackend refuse(String vmiName, String reason, String message) {
    notMigratable.put(vmiName, Condition.notLiveMigratable(reason, message));
    return this;
  }

  synchronized Script scriptFor(String vmiName) {
    return scripts.getOrDefault(vmiName, defaultScript);
  }

  // ------------------------------------------------------------------ the SPI

  @Override
  public String id() {
    return "scripted";
  }

  @Override
  public synchronized Optional<Condition> checkMigratable(VirtualMachineInstance vmi) {
    return Optional.ofNullable(notMigratable.get(vmi.name()));
  }

  @Override
  public MigrationSession open(MigrationSpec spec) {
    Script script = scriptFor(spec.vmi().name());
    ScriptedSession session;
    synchronized (this) {
      calls.add(
          new Call(
              Step.OPEN,
              spec.migrationUid(),
              spec.vmi().name(),
              spec.source().name(),
              null,
              clock.get()));
      String failure = script.failures().get(Step.OPEN);
      if (failure != null) {
        throw new BackendException(failure);
      }
      session = new ScriptedSession(this, spec, script, clock, portBase);
      portBase += 3;
      sessions.add(session);
      open++;
      peak = Math.max(peak, open);
      int onNode = openByNode.merge(spec.source().name(), 1, Integer::sum);
      peakByNode.merge(spec.source().name(), onNode, Math::max);
    }
    return session;
  }

  private boolean resumable;

  /** Makes {@link #resume} hand the running session to an engine that adopts the migration. */
  synchronized ScriptedBackend resumable() {
    this.resumable = true;
    return this;
  }

  @Override
  public synchronized Optional<MigrationSession> resume(
      MigrationSpec spec, Map<String, String> resumeData) {
    if (!resumable
        || !spec.migrationUid().equals(resumeData.get("uid"))
        || sessions.stream().noneMatch(s -> s.spec().migrationUid().equals(spec.migrationUid()))) {
      return Optional.empty();
    }
    calls.add(
        new Call(
            Step.OPEN,
            spec.migrationUid(),
            spec.vmi().name(),
            spec.source().name(),
            "resume",
            clock.get()));
    return Optional.of(session(spec.migrationUid()));
  }

  @Override
  public synchronized void close() {
    closed = true;
  }

  // ------------------------------------------------------------------ for the sessions

  synchronized void record(ScriptedSession session, Step step, @Nullable Object argument) {
    MigrationSpec spec = session.spec();
    calls.add(
        new Call(
            step,
            spec.migrationUid(),
            spec.vmi().name(),
            spec.source().name(),
            argument,
            clock.get()));
  }

  synchronized void closed(ScriptedSession session) {
    open--;
    openByNode.merge(session.spec().source().name(), -1, Integer::sum);
  }

  // ------------------------------------------------------------------ observations

  /** Every call so far, in order. */
  synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The calls of one step, in order. */
  synchronized List<Call> calls(Step step) {
    return calls.stream().filter(call -> call.step() == step).toList();
  }

  /** The steps called for one migration, in order. */
  synchronized List<Step> steps(String migrationUid) {
    return calls.stream()
        .filter(call -> call.migrationUid().equals(migrationUid))
        .map(Call::step)
        .toList();
  }

  /** When each call of one step was made for one migration, in order. */
  synchronized List<Instant> times(String migrationUid, Step step) {
    return calls.stream()
        .filter(call -> call.step() == step && call.migrationUid().equals(migrationUid))
        .map(Call::at)
        .toList();
  }

  /** The directives applied to one migration, in order. */
  synchronized List<Object> applied(String migrationUid) {
    return calls.stream()
        .filter(call -> call.step() == Step.APPLY && call.migrationUid().equals(migrationUid))
        .map(Call::argument)
        .toList();
  }

  /** Every session opened so far, in order. */
  synchronized List<ScriptedSession> sessions() {
    return List.copyOf(sessions);
  }

  /** The session of one migration. */
  synchronized ScriptedSession session(String migrationUid) {
    return sessions.stream()
        .filter(s -> s.spec().migrationUid().equals(migrationUid))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no session for migration " + migrationUid));
  }

  /** The sessions open now. */
  synchronized int openSessions() {
    return open;
  }

  /** The sessions open now from one source node. */
  synchronized int openSessions(String sourceNode) {
    return openByNode.getOrDefault(sourceNode, 0);
  }

  /** The most sessions ever open at once. */
  synchronized int peakOpenSessions() {
    return peak;
  }

  /** The most sessions ever open at once from each source node. */
  synchronized Map<String, Integer> peakOpenSessionsByNode() {
    return Map.copyOf(peakByNode);
  }

  /** The most sessions ever open at once from one source node. */
  synchronized int peakOpenSessions(String sourceNode) {
    return peakByNode.getOrDefault(sourceNode, 0);
  }

  /** Forgets the peaks, keeping the sessions open now as the new peaks. */
  synchronized void resetPeaks() {
    peak = open;
    peakByNode.clear();
    openByNode.forEach((node, count) -> peakByNode.put(node, count));
  }

  synchronized boolean isClosed() {
    return closed;
  }
}
