package dev.livemigration.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livemigration.api.spi.BackendException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.libvirt.Domain.MigrateFlags;

@DisplayName("What a libvirt migration keeps in its record to be resumed")
class LibvirtResumeDataTest {
  private static final Instant STARTED = Instant.parse("2026-12-02T06:00:00Z");
  private static final ResumeData DATA =
      new ResumeData(
          "web",
          "6b0c1f5e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
          "node-a",
          "qemu+tls://node-a/system",
          "node-b",
          "qemu+tls://node-b/system",
          true,
          MigrateFlags.LIVE | MigrateFlags.PEER2PEER | MigrateFlags.POSTCOPY,
          STARTED);
  private static final ResumeData FALLBACK =
      new ResumeData(
          "web",
          "",
          "node-a",
          "qemu+ssh://a/system",
          "node-b",
          "qemu+ssh://b/system",
          false,
          0,
          null);

  @Test
  @DisplayName("are plain strings under stable keys, read back as written")
  void roundTrip() {
    Map<String, String> map = DATA.toMap(List.of("LIVE", "PEER2PEER", "POSTCOPY"));

    assertThat(map)
        .containsEntry("libvirt.format", "1")
        .containsEntry("libvirt.domain.name", "web")
        .containsEntry("libvirt.domain.uuid", "6b0c1f5e-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
        .containsEntry("libvirt.source.node", "node-a")
        .containsEntry("libvirt.source.uri", "qemu+tls://node-a/system")
        .containsEntry("libvirt.target.node", "node-b")
        .containsEntry("libvirt.target.uri", "qemu+tls://node-b/system")
        .containsEntry("libvirt.peerToPeer", "true")
        .containsEntry("libvirt.flagNames", "LIVE,PEER2PEER,POSTCOPY")
        .containsEntry("libvirt.startedAt", "2026-12-02T06:00:00Z");
    ResumeData read = ResumeData.read(map, FALLBACK);
    assertThat(read).isEqualTo(DATA);
    assertThat(read.postCopyAllowed()).isTrue();
  }

  @Test
  @DisplayName("missing (an engine that stopped inside start()): what the engine and backend know")
  void fallback() {
    assertThat(ResumeData.read(Map.of(), FALLBACK)).isEqualTo(FALLBACK);
    assertThat(FALLBACK.postCopyAllowed()).isFalse();
  }

  @Test
  @DisplayName("of another format or not numbers: refused with what was found")
  void refused() {
    Map<String, String> future = new HashMap<>(DATA.toMap(List.of()));
    future.put("libvirt.format", "2");
    assertThatThrownBy(() -> ResumeData.read(future, FALLBACK))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("format '2'");
    Map<String, String> garbled = new HashMap<>(DATA.toMap(List.of()));
    garbled.put("libvirt.flags", "lots");
    assertThatThrownBy(() -> ResumeData.read(garbled, FALLBACK))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("libvirt.flags 'lots', not a number");
  }
}
