package dev.livemigration.libvirt;

import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.ProgressSample;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.libvirt.TypedDoubleParameter;
import org.libvirt.TypedIntParameter;
import org.libvirt.TypedLongParameter;
import org.libvirt.TypedParameter;
import org.libvirt.TypedUintParameter;
import org.libvirt.TypedUlongParameter;

/**
 * A migration job's statistics as {@code virDomainGetJobStats} reports them, by field name, and
 * their reading as a {@link ProgressSample}.
 *
 * @param type the job type ({@code virDomainJobType}: 0 none, 1 bounded, 2 unbounded, 3 completed,
 *     4 failed, 5 cancelled)
 * @param fields the numeric fields, by libvirt's name ({@code data_total}, {@code downtime}...)
 */
record JobStats(int type, Map<String, Long> fields) {
  /** {@code VIR_DOMAIN_JOB_NONE}: no job runs. */
  static final int NONE = 0;

  /** {@code VIR_DOMAIN_JOB_COMPLETED}: the statistics of a finished job. */
  static final int COMPLETED = 3;

  /** QEMU's page size when libvirt does not report one. */
  static final long DEFAULT_PAGE_SIZE = 4096;

  /** Copies the fields. */
  JobStats {
    fields = Map.copyOf(fields);
  }

  /** Reads libvirt-java's statistics; fields that are not numbers are left out. */
  static JobStats of(int type, TypedParameter[] parameters) {
    Map<String, Long> fields = new HashMap<>();
    for (TypedParameter parameter : parameters) {
      number(parameter).ifPresent(value -> fields.put(parameter.field, value));
    }
    return new JobStats(type, fields);
  }

  /** Returns whether a job is running (bounded or unbounded). */
  boolean active() {
    return type == 1 || type == 2;
  }

  /** Returns a field, or 0 when libvirt did not report it. */
  long get(String field) {
    return fields.getOrDefault(field, 0L);
  }

  /** Returns a field, if libvirt reported it. */
  Optional<Long> find(String field) {
    return Optional.ofNullable(fields.get(field));
  }

  /**
   * Reads the statistics as a progress sample with this status and mode: data total, processed and
   * remaining (memory plus disks), the dirty rate in bytes per second (pages per second times the
   * page size), the memory and disk transfer rate, the iteration, the auto-converge throttle and,
   * once the guest has switched, the downtime. The elapsed time is the caller's: libvirt's {@code
   * time_elapsed} counts from the start of the job on the source while it runs, but its completed
   * statistics on the target count a shorter span, so a sequence of samples would go back in time.
   */
  ProgressSample toSample(ProgressSample.Status status, MigrationMode mode, Duration elapsed) {
    long pageSize = find("memory_page_size").filter(size -> size > 0).orElse(DEFAULT_PAGE_SIZE);
    long remaining = status == ProgressSample.Status.COMPLETED ? 0 : get("data_remaining");
    ProgressSample.Builder sample =
        ProgressSample.builder()
            .status(status)
            .mode(mode)
            .elapsed(elapsed)
            .dataTotal(Math.max(0, get("data_total")))
            .dataProcessed(Math.max(0, get("data_processed")))
            .dataRemaining(Math.max(0, remaining))
            .dirtyRate(Math.max(0, saturatedMultiply(get("memory_dirty_rate"), pageSize)))
            .transferRate(Math.max(0, get("memory_bps") + get("disk_bps")))
            .iteration(Math.max(0, get("memory_iteration")))
            .throttlePercent((int) Math.max(0, Math.min(99, get("auto_converge_throttle"))));
    if (type == COMPLETED) {
      // In an active job, libvirt's "downtime" is QEMU's expected downtime, not a measured one.
      find("downtime").ifPresent(ms -> sample.downtime(Duration.ofMillis(ms)));
    }
    return sample.build();
  }

  private static long saturatedMultiply(long a, long b) {
    long high = Math.multiplyHigh(a, b);
    long low = a * b;
    return (high == 0 && low >= 0) ? low : Long.MAX_VALUE;
  }

  private static Optional<Long> number(TypedParameter parameter) {
    if (parameter instanceof TypedUlongParameter p) {
      return Optional.of(p.value < 0 ? Long.MAX_VALUE : p.value);
    }
    if (parameter instanceof TypedLongParameter p) {
      return Optional.of(p.value);
    }
    if (parameter instanceof TypedUintParameter p) {
      return Optional.of(Integer.toUnsignedLong(p.value));
    }
    if (parameter instanceof TypedIntParameter p) {
      return Optional.of((long) p.value);
    }
    if (parameter instanceof TypedDoubleParameter p) {
      return Optional.of((long) p.value);
    }
    return Optional.empty();
  }
}
