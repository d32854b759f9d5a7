package dev.livemigration.core.dataplane;

import dev.livemigration.api.Directive;
import dev.livemigration.api.ExperimentalMigrationOptions;
import dev.livemigration.api.GuestLocation;
import dev.livemigration.api.MigrationCompression;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.BackendException;
import dev.livemigration.api.spi.MigratableMemory;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.MigrationTransport;
import dev.livemigration.api.spi.ReceivingMemory;
import dev.livemigration.api.spi.TargetEndpoint;
import dev.livemigration.core.SwitchoverPoint;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One migration a {@link DataPlaneBackend} drives for the engine: expects it on the target's agent,
 * starts the {@link OutgoingMigration}, reports its progress and, after a success, registers the
 * target's memory for the VMI.
 */
final class DataPlaneSession implements MigrationSession {
  private static final Logger LOG = LoggerFactory.getLogger(DataPlaneBackend.class);

  private final DataPlaneBackend backend;
  private final MigrationSpec spec;
  private final List<String> keys;
  private final List<MigratableMemory> sources;
  private final MigratableMemory source;
  private final MigrationTransport transport;
  private @Nullable IncomingMigration incoming;
  private @Nullable OutgoingMigration outgoing;
  private boolean moved;
  private @Nullable String failure;

  DataPlaneSession(
      DataPlaneBackend backend,
      MigrationSpec spec,
      List<String> keys,
      List<MigratableMemory> sources,
      MigrationTransport transport) {
    this.backend = backend;
    this.spec = spec;
    this.keys = List.copyOf(keys);
    this.sources = List.copyOf(sources);
    this.source = sources.size() == 1 ? sources.get(0) : new CompositeMemory.Source(sources);
    this.transport = transport;
  }

  private boolean block() {
    return sources.size() > 1;
  }

  @Override
  public TargetEndpoint prepareTarget() {
    String address = spec.targetAddress();
    TargetAgent agent = backend.agent(spec.target().name(), address, transport);
    int pageSize = source.pageSize();
    int pageCount = source.pageCount();
    try {
      incoming = agent.expect(spec.migrationUid(), pageSize, pageCount, this::targetMemory);
    } catch (RuntimeException e) {
      throw new BackendException(
          "the target node " + spec.target().name() + " cannot take the guest: " + e.getMessage(),
          e);
    }
    List<InetSocketAddress> bound = agent.addresses();
    return new TargetEndpoint(
        bound.get(0).getHostString(),
        Map.of(
            bound.get(0).getPort(), TargetAgent.DEFAULT_PORT,
            bound.get(1).getPort(), TargetAgent.DEFAULT_BLOCK_PORT),
        "data-plane-agent-" + spec.target().name());
  }

  private ReceivingMemory targetMemory() {
    if (!block()) {
      return backend.targetMemory.create(spec, source.pageSize(), source.pageCount());
    }
    List<ReceivingMemory> parts = new ArrayList<>();
    try {
      for (MigratableMemory part : sources) {
        parts.add(backend.targetMemory.create(spec, part.pageSize(), part.pageCount()));
      }
    } catch (RuntimeException e) {
      parts.forEach(ReceivingMemory::discardAll);
      throw e;
    }
    return new CompositeMemory.Target(parts);
  }

  @Override
  public void start() {
    IncomingMigration expected = Objects.requireNonNull(incoming, "prepareTarget() first");
    long bandwidth = spec.configuration().bandwidthPerMigration().bytes();
    // The stop-and-copy limit starts where the spec says (the ramp's first step, or
    // maxDowntimeMs); the engine's SetMaxDowntime directives change it during the run.
    MigrationCompression compression =
        spec.configuration()
            .experimental()
            .flatMap(ExperimentalMigrationOptions::compression)
            .orElse(MigrationCompression.NONE);
    TransferOptions options =
        new TransferOptions(
            backend.channels,
            bandwidth,
            spec.initialMaxDowntime(),
            backend.ioTimeout,
            compression,
            backend.recoveryBudget);
    List<InetSocketAddress> targets = expected.addresses();
    ChannelRouting routing =
        block()
            ? new ChannelRouting(targets, (sources.get(0).pageCount() + 63) >>> 6, 1)
            : new ChannelRouting(List.of(targets.get(0)), -1, 0);
    try {
      outgoing =
          OutgoingMigration.start(
              source,
              transport,
              spec.migrationUid(),
              expected.token(),
              options,
              routing,
              SwitchoverPoint.of(spec.configuration(), spec.vmi().bytesToCopy()));
    } catch (TransferFailedException e) {
      throw new BackendException(e.getMessage(), e);
    }
  }

  @Override
  public ProgressSample sample() {
    OutgoingMigration out = outgoing;
    if (out == null) {
      throw new BackendException("the migration was not started");
    }
    ProgressSample sample = out.progress();
    if (sample.status() == ProgressSample.Status.COMPLETED && !moved) {
      moved = true;
      moveToTarget();
    }
    if (failure != null) {
      return ProgressSample.builder()
          .from(sample)
          .status(ProgressSample.Status.FAILED)
          .failureReason(failure)
          .guestLocation(GuestLocation.UNKNOWN)
          .build();
    }
    return sample;
  }

  private void moveToTarget() {
    IncomingMigration expected = Objects.requireNonNull(incoming);
    try {
      ReceivingMemory received =
          expected.completion().get(backend.ioTimeout.toMillis(), TimeUnit.MILLISECONDS);
      List<ReceivingMemory> parts =
          received instanceof CompositeMemory.Target composite
              ? composite.parts()
              : List.of(received);
      for (int i = 0; i < keys.size(); i++) {
        if (parts.get(i) instanceof MigratableMemory migratable) {
          backend.memories.replace(keys.get(i), sources.get(i), migratable);
        } else {
          backend.memories.remove(keys.get(i), sources.get(i));
        }
      }
      LOG.info("VMI {} now runs on what node {} received", keys.get(0), spec.target().name());
    } catch (ExecutionException | TimeoutException e) {
      failure =
          "the source completed but the target did not confirm: "
              + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException("interrupted while moving VMI " + keys.get(0), e);
    }
  }

  @Override
  public void apply(Directive directive) {
    OutgoingMigration out = outgoing;
    if (out != null) {
      out.apply(directive);
    }
  }

  @Override
  public void abort() {
    OutgoingMigration out = outgoing;
    if (out != null) {
      out.abort("aborted by the engine");
    } else if (incoming != null) {
      incoming.cancel();
    }
  }

  @Override
  public void close() {
    OutgoingMigration out = outgoing;
    if (out != null) {
      out.close();
    }
    IncomingMigration expected = incoming;
    if (expected != null && !expected.completion().isDone()) {
      expected.cancel();
    }
  }
}
