package dev.livemigration.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The manual scheduler")
class ManualSchedulerTest {
  private final ManualScheduler time = new ManualScheduler();
  private final List<String> ran = new ArrayList<>();

  @Test
  @DisplayName("starts at the guide's timestamp and moves only when advanced")
  void startsAtTheGuidesTimestamp() {
    assertThat(time.now()).isEqualTo(Instant.parse("2019-03-29T04:02:47Z"));
    time.schedule(Duration.ofSeconds(1), () -> ran.add("late"));

    assertThat(ran).isEmpty();
    assertThat(time.pendingTasks()).isEqualTo(1);
    time.advance(Duration.ofMillis(999));
    assertThat(ran).isEmpty();
    time.advance(Duration.ofMillis(1));
    assertThat(ran).containsExactly("late");
    assertThat(time.now()).isEqualTo(Instant.parse("2019-03-29T04:02:48Z"));
  }

  @Test
  @DisplayName("runs tasks in time order, and tasks due at once in the order scheduled")
  void timeOrder() {
    time.schedule(Duration.ofSeconds(2), () -> ran.add("b@2"));
    time.schedule(Duration.ofSeconds(1), () -> ran.add("a@1"));
    time.schedule(Duration.ofSeconds(2), () -> ran.add("c@2"));
    time.execute(() -> ran.add("now"));

    time.advance(Duration.ofSeconds(5));

    assertThat(ran).containsExactly("now", "a@1", "b@2", "c@2");
  }

  @Test
  @DisplayName("shows each task the time it was due, and runs what tasks schedule in range")
  void clockAtTaskTime() {
    Instant start = time.now();
    time.schedule(
        Duration.ofSeconds(1),
        () -> {
          ran.add("first at " + Duration.between(start, time.now()).toSeconds());
          time.schedule(
              Duration.ofSeconds(1),
              () -> ran.add("second at " + Duration.between(start, time.now()).toSeconds()));
        });

    time.advance(Duration.ofSeconds(10));

    assertThat(ran).containsExactly("first at 1", "second at 2");
    assertThat(Duration.between(start, time.now())).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  @DisplayName("goes on after a task throws")
  void survivesFailingTasks() {
    time.execute(
        () -> {
          throw new IllegalStateException("task bug");
        });
    time.execute(() -> ran.add("after"));

    time.runDue();

    assertThat(ran).containsExactly("after");
  }

  @Test
  @DisplayName("advances until idle, or until the limit for tasks that never stop")
  void untilIdle() {
    time.schedule(Duration.ofMinutes(90), () -> ran.add("done"));
    assertThat(time.advanceUntilIdle(Duration.ofDays(1))).isEqualTo(Duration.ofMinutes(90));
    assertThat(ran).containsExactly("done");

    Runnable[] forever = new Runnable[1];
    forever[0] = () -> time.schedule(Duration.ofSeconds(1), forever[0]);
    time.execute(forever[0]);
    assertThat(time.advanceUntilIdle(Duration.ofHours(1))).isEqualTo(Duration.ofHours(1));
    assertThat(time.pendingTasks()).isEqualTo(1);
  }

  @Test
  @DisplayName("steps one task at a time, moving the clock to each task's time")
  void stepsOneTaskAtATime() {
    Instant start = time.now();
    time.schedule(Duration.ofSeconds(2), () -> ran.add("b@2"));
    time.execute(() -> ran.add("now"));
    time.execute(() -> time.schedule(Duration.ofSeconds(1), () -> ran.add("a@1")));

    assertThat(time.nextDue()).contains(start);
    assertThat(time.runNext()).isTrue();
    assertThat(ran).containsExactly("now");
    assertThat(time.runNext()).isTrue();
    assertThat(ran).containsExactly("now");
    assertThat(time.nextDue()).contains(start.plusSeconds(1));
    assertThat(time.runNext()).isTrue();
    assertThat(ran).containsExactly("now", "a@1");
    assertThat(time.now()).isEqualTo(start.plusSeconds(1));
    assertThat(time.runNext()).isTrue();
    assertThat(time.now()).isEqualTo(start.plusSeconds(2));
    assertThat(time.runNext()).isFalse();
    assertThat(time.nextDue()).isEmpty();
    assertThat(ran).containsExactly("now", "a@1", "b@2");
  }

  @Test
  @DisplayName("in RETHROW mode, hands a task's exception to the caller and keeps later tasks")
  void rethrowsTaskFailures() {
    IllegalStateException bug = new IllegalStateException("task bug");
    time.taskFailures(ManualScheduler.TaskFailures.RETHROW);
    time.schedule(
        Duration.ofSeconds(1),
        () -> {
          throw bug;
        });
    time.schedule(Duration.ofSeconds(2), () -> ran.add("after"));
    Instant start = time.now();

    assertThatThrownBy(() -> time.advance(Duration.ofSeconds(5))).isSameAs(bug);
    assertThat(time.now()).isEqualTo(start.plusSeconds(1));
    assertThat(time.pendingTasks()).isEqualTo(1);

    time.advance(Duration.ofSeconds(4));
    assertThat(ran).containsExactly("after");
    time.execute(
        () -> {
          throw bug;
        });
    assertThatThrownBy(time::runNext).isSameAs(bug);
    assertThat(time.taskFailures()).isEqualTo(ManualScheduler.TaskFailures.RETHROW);
  }
}
