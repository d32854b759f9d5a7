package dev.livemigration.core;

import dev.livemigration.api.Drain;
import dev.livemigration.api.MigrationHandle;
import dev.livemigration.api.MigrationState;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The migrations a drain started (or found running) and the VMIs it left behind, with why. */
record NodeDrain(String nodeName, List<MigrationHandle> migrations, Map<String, String> skipped)
    implements Drain {
  NodeDrain {
    migrations = List.copyOf(migrations);
    skipped = Collections.unmodifiableMap(new LinkedHashMap<>(skipped));
  }

  @Override
  public CompletableFuture<List<MigrationState>> completion() {
    List<CompletableFuture<MigrationState>> all =
        migrations.stream().map(MigrationHandle::completion).toList();
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(done -> all.stream().map(CompletableFuture::join).toList());
  }
}
