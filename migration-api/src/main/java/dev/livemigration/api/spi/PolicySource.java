package dev.livemigration.api.spi;

import dev.livemigration.api.MigrationPolicy;
import java.util.List;

/** Where the engine reads migration policies from; read at each admission, so it may change. */
@FunctionalInterface
public interface PolicySource {

  /** Returns the policies in force now. */
  List<MigrationPolicy> policies();

  /** Returns a source that always gives these policies. */
  static PolicySource of(List<MigrationPolicy> policies) {
    List<MigrationPolicy> copy = List.copyOf(policies);
    return () -> copy;
  }
}
