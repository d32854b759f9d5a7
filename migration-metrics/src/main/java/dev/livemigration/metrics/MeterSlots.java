package dev.livemigration.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * The per-migration meters of a {@link MigrationMetrics}, each with the owner it reads now (a live
 * migration or a finished one's outcome). A meter id used again (a VMI migrated again under the
 * same name) hands the meter to the new owner; a meter goes when its last owner lets it go. Not
 * thread-safe: used under the binder's lock.
 */
final class MeterSlots {
  /** Something that reads meters: it knows which, to let them go. */
  interface Holder {
    List<Meter.Id> held();
  }

  /** What a per-migration meter is: its name, help, tags and kind. */
  record Spec(Meter.Id id, String help, boolean counter, @Nullable String unit) {}

  /** A meter and what it reads now. */
  private static final class Slot {
    @Nullable Meter meter;
    volatile Holder owner;

    Slot(Holder owner) {
      this.owner = owner;
    }
  }

  private final MeterRegistry registry;
  private final Map<Meter.Id, Slot> slots = new HashMap<>();

  MeterSlots(MeterRegistry registry) {
    this.registry = registry;
  }

  static Spec gauge(String name, String help, Tags tags) {
    return new Spec(new Meter.Id(name, tags, null, help, Meter.Type.GAUGE), help, false, null);
  }

  static Spec functionCounter(String name, String help, Tags tags, @Nullable String unit) {
    return new Spec(new Meter.Id(name, tags, unit, help, Meter.Type.COUNTER), help, true, unit);
  }

  /**
   * Registers a meter that reads {@code owner}, or hands an existing meter of the same id to it (a
   * migration that took a finished one's name, say): the meter goes when its last owner does.
   */
  void register(Holder owner, Spec spec, ToDoubleFunction<Holder> value) {
    Slot slot = slots.get(spec.id());
    if (slot == null) {
      Slot made = new Slot(owner);
      Tags tags = Tags.of(spec.id().getTagsAsIterable());
      made.meter =
          spec.counter()
              ? FunctionCounter.builder(
                      spec.id().getName(), made, s -> value.applyAsDouble(s.owner))
                  .description(spec.help())
                  .baseUnit(spec.unit())
                  .tags(tags)
                  .register(registry)
              : Gauge.builder(spec.id().getName(), made, s -> value.applyAsDouble(s.owner))
                  .description(spec.help())
                  .tags(tags)
                  .strongReference(true)
                  .register(registry);
      slots.put(spec.id(), made);
    } else {
      slot.owner = owner;
    }
    owner.held().add(spec.id());
  }

  /** Removes the meters {@code owner} still reads. */
  void release(Holder owner) {
    for (Meter.Id id : owner.held()) {
      Slot slot = slots.get(id);
      if (slot != null && slot.owner == owner) {
        slots.remove(id);
        if (slot.meter != null) {
          registry.remove(slot.meter);
        }
      }
    }
    owner.held().clear();
  }

  /** Removes every meter. */
  void removeAll() {
    for (Slot slot : slots.values()) {
      if (slot.meter != null) {
        registry.remove(slot.meter);
      }
    }
    slots.clear();
  }
}
