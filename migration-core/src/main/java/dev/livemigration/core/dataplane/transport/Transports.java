package dev.livemigration.core.dataplane.transport;

import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.spi.MigrationTransport;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds {@link MigrationTransport} providers through {@link ServiceLoader}: {@code tcp}, {@code
 * tls} and {@code mem} are built in. A provider that fails to load is logged and skipped.
 */
public final class Transports {
  private static final Logger LOG = LoggerFactory.getLogger(Transports.class);

  private Transports() {}

  /** Returns every transport the class path provides, by id; the first provider of an id wins. */
  public static Map<String, MigrationTransport> available() {
    Map<String, MigrationTransport> found = new LinkedHashMap<>();
    Iterator<MigrationTransport> providers =
        ServiceLoader.load(MigrationTransport.class, Transports.class.getClassLoader()).iterator();
    while (true) {
      try {
        if (!providers.hasNext()) {
          break;
        }
        MigrationTransport transport = providers.next();
        found.putIfAbsent(transport.id(), transport);
      } catch (ServiceConfigurationError e) {
        LOG.warn("Skipped a migration transport provider that failed to load: {}", e.getMessage());
      }
    }
    return found;
  }

  /**
   * Returns the transport with this id.
   *
   * @throws IllegalArgumentException if no provider has that id; the message lists the ids found
   */
  public static MigrationTransport byId(String id) {
    Map<String, MigrationTransport> all = available();
    MigrationTransport transport = all.get(id);
    if (transport == null) {
      throw new IllegalArgumentException(
          "no migration transport with id '"
              + id
              + "'; found "
              + all.keySet()
              + " (add a provider to META-INF/services/"
              + MigrationTransport.class.getName()
              + ")");
    }
    return transport;
  }

  /**
   * Returns the id a configuration asks for: {@code tcp} if {@code disableTLS}, else {@code tls}.
   */
  public static String idFor(MigrationConfiguration configuration) {
    return configuration.disableTLS() ? TcpTransport.ID : TlsTransport.ID;
  }
}
