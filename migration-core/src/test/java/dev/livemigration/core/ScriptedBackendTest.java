package dev.livemigration.core;

import static dev.livemigration.core.Harness.GIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.Directive;
import dev.livemigration.api.MigrationConfiguration;
import dev.livemigration.api.MigrationMethod;
import dev.livemigration.api.MigrationMode;
import dev.livemigration.api.Node;
import dev.livemigration.api.ProgressSample;
import dev.livemigration.api.ProgressSample.Status;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.VirtualMachineInstanceMigration;
import dev.livemigration.api.spi.BackendException;
import dev.livemigration.api.spi.MigrationSession;
import dev.livemigration.api.spi.MigrationSpec;
import dev.livemigration.core.ScriptedBackend.Step;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The fake backend's model, checked on its own so that the engine's tests can rely on it. */
@DisplayName("The scripted backend")
class ScriptedBackendTest {
  private final ManualScheduler time = new ManualScheduler();
  private final ScriptedBackend backend = new ScriptedBackend(time::now);
  private int count;

  private MigrationSpec spec(MigrationConfiguration config, String source) {
    count++;
    VirtualMachineInstance vmi = Harness.vmi("vmi-" + count, source).build();
    return new MigrationSpec(
        "uid-" + count + "-0000",
        VirtualMachineInstanceMigration.of("job-" + count, vmi.name()),
        vmi,
        MigrationMethod.LIVE_MIGRATION,
        Node.builder().name(source).address("10.0.0.1").build(),
        Node.builder().name("target").address("10.0.0.2").build(),
        config);
  }

  private MigrationSession started(Script script, MigrationConfiguration config) {
    backend.defaultScript(script);
    MigrationSession session = backend.open(spec(config, "node01"));
    session.prepareTarget();
    session.start();
    return session;
  }

  private List<ProgressSample> sampleEverySecond(MigrationSession session, int seconds) {
    List<ProgressSample> samples = new ArrayList<>();
    for (int i = 0; i < seconds; i++) {
      time.advance(Duration.ofSeconds(1));
      samples.add(session.sample());
    }
    return samples;
  }

  @Nested
  @DisplayName("in pre-copy")
  class PreCopy {
    @Test
    @DisplayName("moves an idle 1 GiB guest in one 16 s pass at the default 64 MiB/s")
    void idleGuest() {
      MigrationSession session = started(Script.CONVERGING, MigrationConfiguration.defaults());

      List<ProgressSample> samples = sampleEverySecond(session, 16);

      assertThat(samples.subList(0, 15)).allMatch(s -> s.status() == Status.ACTIVE);
      assertThat(samples.get(0).dataRemaining()).isEqualTo(GIB - Script.MIB_64);
      assertThat(samples.get(0).transferRate()).isEqualTo(Script.MIB_64);
      assertThat(samples.get(0).dataTotal()).isEqualTo(GIB);
      assertThat(samples.get(0).iteration()).isEqualTo(1);
      assertThat(samples.get(15).status()).isEqualTo(Status.COMPLETED);
      assertThat(samples.get(15).downtime()).contains(Duration.ZERO);
    }

    @Test
    @DisplayName("never converges when the guest dirties memory as fast as it is sent")
    void racingGuest() {
      MigrationSession session =
          started(Script.neverConverging(), MigrationConfiguration.defaults());

      List<ProgressSample> samples = sampleEverySecond(session, 100);

      assertThat(samples).allMatch(s -> s.status() == Status.ACTIVE);
      assertThat(samples).allMatch(s -> s.dataRemaining() == GIB);
      assertThat(samples.get(99).iteration()).isEqualTo(1 + 100 / 16);
    }

    @Test
    @DisplayName("makes a new low-water mark at every sample when the guest dirties slower")
    void slowDirtying() {
      MigrationSession session =
          started(Script.dirtying(Script.MIB_64 * 99 / 100), MigrationConfiguration.defaults());

      List<ProgressSample> samples = sampleEverySecond(session, 300);

      for (int i = 1; i < samples.size(); i++) {
        assertThat(samples.get(i).dataRemaining()).isLessThan(samples.get(i - 1).dataRemaining());
      }
      assertThat(samples.get(299).status()).isEqualTo(Status.ACTIVE);
    }

    @Test
    @DisplayName("converges once throttled below the transfer rate")
    void throttled() {
      MigrationSession session =
          started(
              Script.neverConverging(),
              MigrationConfiguration.builder().allowAutoConverge(true).build());
      sampleEverySecond(session, 20);

      session.apply(new Directive.Throttle(60));
      List<ProgressSample> samples = sampleEverySecond(session, 200);

      assertThat(samples.get(0).throttlePercent()).isEqualTo(60);
      assertThat(samples.get(0).dirtyRate()).isEqualTo(2 * Script.MIB_64 * 40 / 100);
      assertThat(samples).anyMatch(s -> s.status() == Status.COMPLETED);
    }

    @Test
    @DisplayName("refuses a throttle or a switch the configuration does not allow")
    void refusesWhatIsNotAllowed() {
      MigrationSession session = started(Script.CONVERGING, MigrationConfiguration.defaults());

      assertThatThrownBy(() -> session.apply(new Directive.Throttle(20)))
          .isInstanceOf(BackendException.class);
      assertThatThrownBy(() -> session.apply(new Directive.SwitchToPostCopy()))
          .isInstanceOf(BackendException.class);
    }

    @Test
    @DisplayName("copies node-local disks along with memory")
    void copiesLocalDisks() {
      backend.defaultScript(Script.CONVERGING);
      VirtualMachineInstance vmi =
          Harness.vmi("block", "node01")
              .addVolumes(
                  Harness.local(
                      "scratch",
                      dev.livemigration.api.VolumeType.EMPTY_DISK,
                      Quantity.ofGibibytes(1)))
              .build();
      MigrationSpec base = spec(MigrationConfiguration.defaults(), "node01");
      MigrationSession session =
          backend.open(
              new MigrationSpec(
                  base.migrationUid(),
                  base.request(),
                  vmi,
                  MigrationMethod.BLOCK_MIGRATION,
                  base.source(),
                  base.target(),
                  base.configuration()));
      session.start();

      List<ProgressSample> samples = sampleEverySecond(session, 32);

      assertThat(samples.get(0).dataTotal()).isEqualTo(2 * GIB);
      assertThat(samples.get(30).status()).isEqualTo(Status.ACTIVE);
      assertThat(samples.get(31).status()).isEqualTo(Status.COMPLETED);
    }
  }

  @Nested
  @DisplayName("in post-copy")
  class PostCopy {
    @Test
    @DisplayName("completes once the data remaining at the switch has been sent")
    void completes() {
      MigrationSession session =
          started(
              Script.neverConverging(),
              MigrationConfiguration.builder().allowPostCopy(true).build());
      sampleEverySecond(session, 20);

      session.apply(new Directive.SwitchToPostCopy());
      List<ProgressSample> samples = sampleEverySecond(session, 16);

      assertThat(samples.get(0).mode()).isEqualTo(MigrationMode.POST_COPY);
      assertThat(samples.get(14).status()).isEqualTo(Status.ACTIVE);
      assertThat(samples.get(15).status()).isEqualTo(Status.COMPLETED);
    }

    @Test
    @DisplayName("cannot be aborted, as libvirt refuses")
    void cannotAbort() {
      MigrationSession session =
          started(
              Script.neverConverging(),
              MigrationConfiguration.builder().allowPostCopy(true).build());
      session.apply(new Directive.SwitchToPostCopy());

      assertThatThrownBy(session::abort).hasMessageContaining("post-copy");
    }
  }

  @Nested
  @DisplayName("on abort")
  class Abort {
    @Test
    @DisplayName("reports FAILED at the next sample")
    void fails() {
      MigrationSession session =
          started(Script.neverConverging(), MigrationConfiguration.defaults());
      sampleEverySecond(session, 3);

      session.abort();

      assertThat(session.sample().status()).isEqualTo(Status.FAILED);
    }

    @Test
    @DisplayName("reports COMPLETED when scripted to come too late")
    void tooLate() {
      MigrationSession session =
          started(Script.neverConverging().withAbortTooLate(), MigrationConfiguration.defaults());

      session.abort();

      assertThat(session.sample().status()).isEqualTo(Status.COMPLETED);
    }
  }

  @Nested
  @DisplayName("bookkeeping")
  class Bookkeeping {
    @Test
    @DisplayName("throws scripted exceptions at the scripted step")
    void scriptedFailures() {
      backend.defaultScript(Script.CONVERGING.failing(Step.OPEN, "no route to host"));
      assertThatThrownBy(() -> backend.open(spec(MigrationConfiguration.defaults(), "n")))
          .isInstanceOf(BackendException.class)
          .hasMessage("no route to host");

      MigrationSession session =
          started(
              Script.CONVERGING.failingOnSample(2, "connection reset"),
              MigrationConfiguration.defaults());
      time.advance(Duration.ofSeconds(1));
      session.sample();
      assertThatThrownBy(session::sample).hasMessage("connection reset");
      session.sample();
    }

    @Test
    @DisplayName("counts the sessions open at once, in total and per source node, with peaks")
    void countsOpenSessions() {
      backend.defaultScript(Script.CONVERGING);
      MigrationSession a = backend.open(spec(MigrationConfiguration.defaults(), "node01"));
      MigrationSession b = backend.open(spec(MigrationConfiguration.defaults(), "node01"));
      MigrationSession c = backend.open(spec(MigrationConfiguration.defaults(), "node02"));
      a.close();
      a.close();

      assertThat(backend.openSessions()).isEqualTo(2);
      assertThat(backend.openSessions("node01")).isEqualTo(1);
      assertThat(backend.peakOpenSessions()).isEqualTo(3);
      assertThat(backend.peakOpenSessions("node01")).isEqualTo(2);
      assertThat(backend.peakOpenSessions("node02")).isEqualTo(1);
      b.close();
      c.close();
      assertThat(backend.openSessions()).isZero();
      assertThat(backend.calls(Step.CLOSE)).hasSize(3);
    }
  }
}
