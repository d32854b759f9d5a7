package dev.livemigration.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livemigration.libvirt.LibvirtDaemons.Hosts;
import java.nio.file.Files;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

@ExtendWith(LibvirtDaemons.class)
@DisplayName("The two private libvirt daemons")
class LibvirtDaemonsTest {

  @Test
  @DisplayName("answer on their own sockets, as different hosts, each with an images pool")
  void answer(Hosts hosts) throws LibvirtException {
    Connect a = new Connect(hosts.uri(Hosts.NODE_A));
    Connect b = new Connect(hosts.uri(Hosts.NODE_B));
    try {
      assertThat(a.getCapabilities()).contains("00000000-0000-4000-8000-000000000001");
      assertThat(b.getCapabilities()).contains("00000000-0000-4000-8000-000000000002");
      assertThat(a.listStoragePools()).contains("images");
      assertThat(b.listStoragePools()).contains("images");
    } finally {
      a.close();
      b.close();
    }
    assertThat(Files.isDirectory(hosts.imagesDir(Hosts.NODE_A))).isTrue();
    assertThat(hosts.imagesDir(Hosts.NODE_A)).isNotEqualTo(hosts.imagesDir(Hosts.NODE_B));
  }
}
