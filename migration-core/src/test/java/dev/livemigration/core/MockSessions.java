package dev.livemigration.core;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.spi.HypervisorBackend;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.TargetEndpoint;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Mockito backends whose one session reports samples from a function of the sample's number (from
 * 1): for exact sequences that the {@link ScriptedBackend}'s model does not produce, such as a data
 * remaining that oscillates.
 */
final class MockSessions {
  private MockSessions() {}

  /** Returns a mocked session whose n-th sample is {@code samples.apply(n)}. */
  static MigrationSession session(IntFunction<ProgressSample> samples) {
    MigrationSession session = mock(MigrationSession.class);
    AtomicInteger count = new AtomicInteger();
    when(session.prepareTarget())
        .thenReturn(new TargetEndpoint("10.128.0.1", Map.of(35001, 0, 35002, 49152), "pod"));
    when(session.sample()).thenAnswer(call -> samples.apply(count.incrementAndGet()));
    return session;
  }

  /** Returns a mocked backend whose every {@code open} returns {@code session}. */
  static HypervisorBackend backend(MigrationSession session) {
    HypervisorBackend backend = mock(HypervisorBackend.class);
    when(backend.id()).thenReturn("mock");
    when(backend.open(any())).thenReturn(session);
    return backend;
  }

  static ProgressSample active(long remaining) {
    return ProgressSample.builder()
        .dataTotal(1 << 30)
        .dataRemaining(remaining)
        .iteration(1)
        .build();
  }

  static ProgressSample postCopy(long remaining) {
    return ProgressSample.builder()
        .dataTotal(1 << 30)
        .dataRemaining(remaining)
        .iteration(2)
        .mode(MigrationMode.POST_COPY)
        .build();
  }

  static ProgressSample completed(MigrationMode mode) {
    return ProgressSample.builder()
        .status(ProgressSample.Status.COMPLETED)
        .dataTotal(1 << 30)
        .mode(mode)
        .build();
  }

  static ProgressSample failed(String reason) {
    return ProgressSample.builder()
        .status(ProgressSample.Status.FAILED)
        .dataTotal(1 << 30)
        .failureReason(reason)
        .build();
  }
}
