package dev.livemigration.testkit;

import dev.livemigration.api.spi.MigratableMemory;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.api.spi.ReceivingMemory;
import dev.livemigration.core.dataplane.PagedMemory;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A guest's memory as a migration fills it on the target: {@link PagedMemory} that tells the
 * real-bytes cluster when the guest starts there, and whether it did so in post-copy.
 */
final class ArrivingMemory implements ReceivingMemory, MigratableMemory {
  private final MigrationSpec spec;
  private final PagedMemory memory;
  private final Consumer<ArrivingMemory> onActivate;
  private volatile boolean postCopy;

  ArrivingMemory(MigrationSpec spec, PagedMemory memory, Consumer<ArrivingMemory> onActivate) {
    this.spec = spec;
    this.memory = memory;
    this.onActivate = onActivate;
  }

  MigrationSpec spec() {
    return spec;
  }

  PagedMemory memory() {
    return memory;
  }

  boolean postCopy() {
    return postCopy;
  }

  @Override
  public int pageSize() {
    return memory.pageSize();
  }

  @Override
  public int pageCount() {
    return memory.pageCount();
  }

  @Override
  public void receivePage(int index, ByteBuffer src) {
    memory.receivePage(index, src);
  }

  @Override
  public boolean isPresent(int index) {
    return memory.isPresent(index);
  }

  @Override
  public void discardPage(int index) {
    memory.discardPage(index);
  }

  @Override
  public void demandPaging(@Nullable PageFaultHandler faults) {
    if (faults != null) {
      postCopy = true;
    }
    memory.demandPaging(faults);
  }

  @Override
  public void activate() {
    memory.activate();
    onActivate.accept(this);
  }

  @Override
  public void discardAll() {
    memory.discardAll();
  }

  @Override
  public void readPage(int index, ByteBuffer dst) {
    memory.readPage(index, dst);
  }

  @Override
  public void startDirtyLog() {
    memory.startDirtyLog();
  }

  @Override
  public BitSet fetchDirtyPages() {
    return memory.fetchDirtyPages();
  }

  @Override
  public void stopDirtyLog() {
    memory.stopDirtyLog();
  }

  @Override
  public void pause() {
    memory.pause();
  }

  @Override
  public void resume() {
    memory.resume();
  }

  @Override
  public void throttle(int percent) {
    memory.throttle(percent);
  }
}
