package dev.livemigration.api.spi;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationPhase;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One migration as a {@link MigrationStore} keeps it: what was asked, what was decided at
 * admission, where it is now, and who drives it.
 *
 * <p>{@code version}, {@code sequence}, {@code owner} and {@code fencingToken} are the store's:
 * {@link MigrationStore#admit} and {@link MigrationStore#claim} set them, and a write carries the
 * values it read, so that the store can refuse a write based on a stale read or from an engine that
 * lost the migration.
 *
 * @param request the request that started the migration
 * @param vmi the VMI as it was at admission
 * @param method whether disks are copied too
 * @param configuration the effective configuration (cluster plus policy)
 * @param state the migration's state; its {@link MigrationState#migrationUid() uid} is the record's
 * @param priority the queue priority: higher first, first come first served within one
 * @param sequence the store's admission order, for the queue
 * @param version the store's version of the record, raised by every write
 * @param owner the engine replica that drives the migration, or null while nobody does
 * @param fencingToken the owner's token, raised by every change of owner
 * @param cancelRequested whether someone asked for the migration to stop
 * @param resumeData what the backend needs to resume driving the migration after its owner died
 *     ({@link MigrationSession#resumeData()}), empty when it cannot
 */
public record MigrationRecord(
    VirtualMachineInstanceMigration request,
    VirtualMachineInstance vmi,
    MigrationMethod method,
    MigrationConfiguration configuration,
    MigrationState state,
    int priority,
    long sequence,
    long version,
    @Nullable String owner,
    long fencingToken,
    boolean cancelRequested,
    Map<String, String> resumeData) {

  /** Checks that no required component is null, and copies the resume data. */
  public MigrationRecord {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(vmi, "vmi");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(configuration, "configuration");
    Objects.requireNonNull(state, "state");
    resumeData = Map.copyOf(resumeData);
  }

  /** A record for a migration just admitted: pending, nobody's, version 0. */
  public static MigrationRecord admitted(
      VirtualMachineInstanceMigration request,
      VirtualMachineInstance vmi,
      MigrationMethod method,
      MigrationConfiguration configuration,
      MigrationState state,
      int priority) {
    return new MigrationRecord(
        request, vmi, method, configuration, state, priority, 0, 0, null, 0, false, Map.of());
  }

  /**
   * Checks that this record is one {@link MigrationStore#admit} takes: pending and nobody's.
   *
   * @throws IllegalArgumentException otherwise
   */
  public MigrationRecord requireAdmissible() {
    if (phase() != dev.livemigration.api.MigrationPhase.PENDING || owner != null) {
      throw new IllegalArgumentException(
          "admit takes a pending record that nobody owns, but "
              + uid()
              + " was "
              + phase()
              + " owned by "
              + owner);
    }
    return this;
  }

  /** The migration's unique id. */
  public String uid() {
    return state.migrationUid();
  }

  /** The migration's phase. */
  public MigrationPhase phase() {
    return state.phase();
  }

  /** Whether the migration ended; an ended record never changes again. */
  public boolean isTerminal() {
    return state.phase().isTerminal();
  }

  /** Whether the migration holds a slot under the limits: admitted, not pending, not ended. */
  public boolean isActive() {
    return !isTerminal() && state.phase() != MigrationPhase.PENDING;
  }

  /** The node the migration leaves. */
  public String sourceNode() {
    return state.sourceNode().orElse(vmi.nodeName());
  }

  /** This record with another state. */
  public MigrationRecord withState(MigrationState newState) {
    return new MigrationRecord(
        request,
        vmi,
        method,
        configuration,
        newState,
        priority,
        sequence,
        version,
        owner,
        fencingToken,
        cancelRequested,
        resumeData);
  }

  /** This record with the backend's resume data. */
  public MigrationRecord withResumeData(Map<String, String> data) {
    return new MigrationRecord(
        request,
        vmi,
        method,
        configuration,
        state,
        priority,
        sequence,
        version,
        owner,
        fencingToken,
        cancelRequested,
        data);
  }

  /** This record as the store keeps it: for store implementations. */
  public MigrationRecord stored(
      long newSequence,
      long newVersion,
      @Nullable String newOwner,
      long newFencingToken,
      boolean newCancelRequested) {
    return new MigrationRecord(
        request,
        vmi,
        method,
        configuration,
        state,
        priority,
        newSequence,
        newVersion,
        newOwner,
        newFencingToken,
        newCancelRequested,
        resumeData);
  }

  /** The namespace-qualified name of the migration, {@code namespace/name}. */
  public String key() {
    return request.namespace() + "/" + request.name();
  }

  /** The namespace-qualified name of the VMI, {@code namespace/name}. */
  public String vmiKey() {
    return request.namespace() + "/" + request.vmiName();
  }
}
