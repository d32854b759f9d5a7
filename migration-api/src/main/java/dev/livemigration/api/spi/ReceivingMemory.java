package dev.livemigration.api.spi;

import java.nio.ByteBuffer;

/**
 * A guest's memory as the built-in data plane fills it on the target: it stores pages as they
 * arrive and knows which are present. In post-copy the guest runs before every page arrived; an
 * access to a missing page then asks the source for it through a {@link PageFaultHandler}.
 */
public interface ReceivingMemory {

  /** The size of a page in bytes; must equal the source's. */
  int pageSize();

  /** The number of pages; must equal the source's. */
  int pageCount();

  /**
   * Stores page {@code index} from {@code src}'s remaining {@link #pageSize()} bytes and marks it
   * present. In post-copy a page that is already present is left as it is: the guest owns it.
   */
  void receivePage(int index, ByteBuffer src);

  /** Returns whether page {@code index} has arrived (and was not discarded since). */
  boolean isPresent(int index);

  /** Marks page {@code index} missing again: its content on the source changed. */
  void discardPage(int index);

  /**
   * Starts post-copy: from now on, an access to a missing page calls {@code faults} and waits until
   * the page is present; {@code null} ends demand paging once every page is present.
   *
   * @throws UnsupportedOperationException if this memory cannot page on demand
   */
  default void demandPaging(@org.jspecify.annotations.Nullable PageFaultHandler faults) {
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " does not support post-copy demand paging");
  }

  /** Told when the guest starts running on the target (after the switch). */
  default void activate() {}

  /** Told when the migration failed: the partial content will never be used. */
  default void discardAll() {}

  /** Asks the source for a page the guest touched before it arrived (post-copy). */
  @FunctionalInterface
  interface PageFaultHandler {
    /**
     * Requests page {@code index}; returns at once. The page arrives later through {@link
     * ReceivingMemory#receivePage}.
     *
     * @throws java.io.UncheckedIOException if the link to the source is lost
     */
    void requestPage(int index);
  }
}
