package dev.livemigration.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.libvirt.TypedIntParameter;
import org.libvirt.TypedParameter;
import org.libvirt.TypedStringParameter;
import org.libvirt.TypedUlongParameter;

@DisplayName("Job statistics become progress samples")
class JobStatsTest {

  static JobStats stats(int type, TypedParameter... parameters) {
    return JobStats.of(type, parameters);
  }

  @Test
  @DisplayName("data, dirty rate in bytes, transfer rate, iteration and throttle are read")
  void fields() {
    JobStats stats =
        stats(
            2,
            new TypedUlongParameter("time_elapsed", 6004),
            new TypedUlongParameter("data_total", 134_610_944),
            new TypedUlongParameter("data_processed", 47_956_000),
            new TypedUlongParameter("data_remaining", 82_706_432),
            new TypedUlongParameter("memory_dirty_rate", 8143),
            new TypedUlongParameter("memory_page_size", 4096),
            new TypedUlongParameter("memory_bps", 8_090_000),
            new TypedUlongParameter("disk_bps", 10_000),
            new TypedUlongParameter("memory_iteration", 4),
            new TypedIntParameter("auto_converge_throttle", 30),
            new TypedStringParameter("operation", "ignored"));
    assertThat(stats.active()).isTrue();
    ProgressSample sample =
        stats.toSample(ProgressSample.Status.ACTIVE, MigrationMode.PRE_COPY, Duration.ofSeconds(7));
    assertThat(sample.elapsed())
        .as("the session's clock, not libvirt's time_elapsed")
        .isEqualTo(Duration.ofSeconds(7));
    assertThat(sample.dataTotal()).isEqualTo(134_610_944);
    assertThat(sample.dataProcessed()).isEqualTo(47_956_000);
    assertThat(sample.dataRemaining()).isEqualTo(82_706_432);
    assertThat(sample.dirtyRate()).isEqualTo(8143L * 4096);
    assertThat(sample.transferRate()).isEqualTo(8_100_000);
    assertThat(sample.iteration()).isEqualTo(4);
    assertThat(sample.throttlePercent()).isEqualTo(30);
    assertThat(sample.downtime()).isEmpty();
  }

  @Test
  @DisplayName("an active job's downtime is only QEMU's expectation, so it is not reported")
  void expectedDowntime() {
    JobStats stats = stats(2, new TypedUlongParameter("downtime", 300));
    assertThat(
            stats
                .toSample(ProgressSample.Status.ACTIVE, MigrationMode.POST_COPY, Duration.ZERO)
                .downtime())
        .isEmpty();
  }

  @Test
  @DisplayName("a completed job reports its downtime and nothing remaining")
  void completed() {
    JobStats stats =
        stats(
            3,
            new TypedUlongParameter("data_total", 1000),
            new TypedUlongParameter("data_remaining", 5),
            new TypedUlongParameter("downtime", 24));
    assertThat(stats.active()).isFalse();
    ProgressSample sample =
        stats.toSample(
            ProgressSample.Status.COMPLETED, MigrationMode.POST_COPY, Duration.ofSeconds(2));
    assertThat(sample.status()).isEqualTo(ProgressSample.Status.COMPLETED);
    assertThat(sample.mode()).isEqualTo(MigrationMode.POST_COPY);
    assertThat(sample.elapsed()).isEqualTo(Duration.ofSeconds(2));
    assertThat(sample.dataRemaining()).isZero();
    assertThat(sample.downtime()).contains(Duration.ofMillis(24));
  }

  @Test
  @DisplayName("missing fields are zero, the page size defaults to 4 KiB")
  void missing() {
    JobStats stats = stats(1, new TypedUlongParameter("memory_dirty_rate", 10));
    ProgressSample sample =
        stats.toSample(ProgressSample.Status.ACTIVE, MigrationMode.PRE_COPY, Duration.ZERO);
    assertThat(sample.dataTotal()).isZero();
    assertThat(sample.dirtyRate()).isEqualTo(40_960);
    assertThat(stats.active()).isTrue();
    assertThat(stats(0).active()).isFalse();
  }

  @Test
  @DisplayName("values beyond a signed long saturate instead of turning negative")
  void huge() {
    JobStats stats = stats(2, new TypedUlongParameter("data_total", -1L));
    assertThat(stats.get("data_total")).isEqualTo(Long.MAX_VALUE);
  }
}
