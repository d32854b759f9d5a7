package dev.livemigration.libvirt;

import dev.livemigration.api.MigrationEngine;
import dev.livemigration.api.MigrationState;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.core.MigrationEngines;
import dev.livemigration.jdbc.JdbcMigrationStore;
import dev.livemigration.jdbc.PostgreSql;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine JVM that {@link LibvirtResumeKillTest} kills with SIGKILL: an engine replica named
 * {@code worker} on the test's PostgreSQL store that migrates one domain from node-a to node-b and
 * waits for it. Arguments: the database port, the store's table prefix, node-a's and node-b's
 * libvirt URIs, the domain, and {@code p2p} or {@code managed}.
 */
public final class ResumeKillWorker {
  private static final Logger LOG = LoggerFactory.getLogger(ResumeKillWorker.class);

  /** The worker's replica name. */
  static final String REPLICA = "worker";

  private ResumeKillWorker() {}

  /** Runs the worker; see the class comment for the arguments. */
  public static void main(String[] args) throws Exception {
    if (args.length != 6) {
      throw new IllegalArgumentException(
          "expected: <db port> <table prefix> <node-a uri> <node-b uri> <domain> p2p|managed");
    }
    JdbcMigrationStore store =
        JdbcMigrationStore.builder(PostgreSql.dataSource(Integer.parseInt(args[0])))
            .tablePrefix(args[1])
            .build();
    LibvirtBackend.Builder builder =
        LibvirtBackend.builder()
            .host(LibvirtDaemons.Hosts.NODE_A, args[2])
            .host(LibvirtDaemons.Hosts.NODE_B, args[3]);
    if (args[5].equals("managed")) {
      builder.managed();
    }
    LibvirtBackend backend = builder.build();
    MigrationEngine engine =
        MigrationEngines.builder()
            .configuration(LibvirtResumeTest.slow())
            .backend(backend)
            .inventory(LibvirtInventory.of(backend))
            .store(store)
            .replica(REPLICA)
            .leaseDuration(LibvirtResumeTest.LEASE)
            .sampleInterval(LibvirtResumeTest.SAMPLE_INTERVAL)
            .build();
    MigrationState state =
        engine
            .migrate(VirtualMachineInstanceMigration.of(args[4], args[4]))
            .completion()
            .get(Duration.ofMinutes(5).toSeconds(), TimeUnit.SECONDS);
    LOG.warn("The worker was not killed: its migration ended {}", state.phase());
    engine.close();
  }
}
